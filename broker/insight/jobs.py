"""Allocation runs and what-ifs as background jobs (a run over 100k young people takes about a minute)."""
from __future__ import annotations

from flask import url_for

from broker.insight import allocation
from broker.jobs import job_kind

MANAGERS = ("manager", "admin")
_NEXT_STEP = {"problem built": "Solving", "matcher solved": "Finding where one more place helps most",
              "marginal values read": "Storing the run"}


def _run_done(job) -> str:
    f = job.result
    return (f"Allocation run {f['run_id']} ({f['area'] or 'All areas'}): {f['met']} of {f['needs']} needs met, "
            f"{f['unmet']} unmet, in {f['seconds']} s.")


@job_kind("allocation-run", title="Allocation run", roles=MANAGERS,
          result_url=lambda job: url_for("insight.dashboard") + "#runs", done_message=_run_done)
def allocation_run(ctx, area: str | None = None) -> dict:
    """Run the matcher over every open need (in `area`) and store the run; its figures are the result."""
    steps = iter(range(1, allocation.RUN_STEPS + 1))
    ctx.progress(0, allocation.RUN_STEPS, "Building the matcher's problem")
    def step(label):
        if label in _NEXT_STEP:  # not after the run is written: the runner marks it done with the same commit
            ctx.progress(next(steps), step=_NEXT_STEP[label])

    run = allocation.run_allocation(ctx.user, area, progress=step)
    return {"run_id": run.id, "area": run.area, **run.figures}


@job_kind("what-if", title="What if there were more places?", roles=MANAGERS,
          result_url=lambda job: url_for("insight.what_if_page", job=job.id))
def what_if(ctx, category: str, area: str, month: str, places: int, scope: str | None = None) -> dict:
    """The matcher with and without the added places; the comparison is the result."""
    steps = iter(range(1, allocation.WHAT_IF_STEPS + 1))
    ctx.progress(0, allocation.WHAT_IF_STEPS, "Building the matcher's problem")
    return allocation.what_if(category, area, month, places, scope=scope,
                              progress=lambda label: ctx.progress(next(steps), step=label))
