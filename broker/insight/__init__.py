"""Manager insight: placement shortages, waits, allocation runs and what-if.

Managers see aggregates only: nothing here stores or shows a young person's identity,
except to a manager who is also that young person's PA (see waits.longest_waiting).
"""
