"""Relevance against the demo directory: the judged PA searches in
directory_data/judged_queries.toml, run through the engine the search page and API use.

Reports precision at 5 (of the first five results, the share that are right; when the
directory holds fewer than five right listings, the share of those) and the share of
searches that find nothing. Goals: precision at 5 >= 0.9, nothing found <= 2%.
"""
from __future__ import annotations

import tomllib

from broker.config import PROJECT_ROOT
from broker.directory.demo import load_demo
from broker.directory.models import Provision
from broker.directory.params import parse_search
from broker.directory.services import find_provisions, rebuild_index
from broker.extensions import db

JUDGED = PROJECT_ROOT / "directory_data" / "judged_queries.toml"
PRECISION_GOAL = 0.9
EMPTY_GOAL = 0.02


def judged_queries() -> list[dict]:
    with open(JUDGED, "rb") as handle:
        return tomllib.load(handle)["query"]


def is_right(p: Provision, judgement: dict) -> bool:
    return (
        p.category in judgement.get("categories", ())
        or f"{p.category}/{p.kind}" in judgement.get("kinds", ())
        or any(p.name.startswith(name) for name in judgement.get("names", ()))
    )


def test_judged_searches_find_the_right_provision(app, relevance_report):
    load_demo()
    db.session.commit()  # as `broker init` does: the index is built from what the database holds
    rebuild_index()
    active = db.session.scalars(db.select(Provision).where(Provision.status == "active")).all()
    queries = judged_queries()
    assert len(queries) >= 60

    precisions, empty, misses = [], [], []
    for judgement in queries:
        assert any(is_right(p, judgement) for p in active), f"nothing in the demo is right for {judgement}"
        args = {"q": judgement["q"], "per_page": "5"}
        if "near" in judgement:
            args["near"] = judgement["near"]
        sq, _ = parse_search(args)
        found = find_provisions(sq)
        top = [r.provision for r in found.results[:5]]
        possible = min(5, sum(is_right(p, judgement) for p in active))
        precision = sum(is_right(p, judgement) for p in top) / possible
        precisions.append(precision)
        if found.total == 0:
            empty.append(judgement["q"])
        if precision < 1:
            misses.append(f"  {precision:.1f} {judgement['q']!r}: " + "; ".join(f"{p.category}: {p.name}" for p in top))

    precision_at_5 = sum(precisions) / len(precisions)
    empty_rate = len(empty) / len(queries)
    relevance_report.append(f"{len(queries)} judged searches: precision at 5 = {precision_at_5:.3f} "
                            f"(goal >= {PRECISION_GOAL}), nothing found = {empty_rate:.1%} (goal <= {EMPTY_GOAL:.0%})")
    relevance_report.extend(misses)
    assert precision_at_5 >= PRECISION_GOAL, "\n".join(misses)
    assert empty_rate <= EMPTY_GOAL, empty
