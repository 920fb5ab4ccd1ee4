"""Open Referral UK: take council and other directories' feeds in, and publish ours.

The steps, one module each:
  read.py       a file, a CSV package or a live API (http.py) -> nested HSDS 3.0 services
  mapping.py    the field mapping, both directions: HSDS service <-> our listing
  vocabulary.py our taxonomy as published terms, and placing a feed's service in it
  write.py      mapped services -> the directory, record by record, places held kept
  publish.py    the ORUK 3.0 UK-profile API under /oruk/
  export.py     an HSDS 3.0 tabular data package (CSV + datapackage.json)
  review.py     the page where an administrator categorises imported listings
docs/oruk.md documents the mapping field by field and how to pull a feed on a schedule.
"""

