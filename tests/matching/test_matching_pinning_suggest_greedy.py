"""Pinning accepted placements, suggestions for one client, and the greedy baseline."""

from __future__ import annotations

import pytest
from matching_brute import check_allocation

from matching import ProblemError, allocation_to_dict, greedy, parse_problem, solve, suggest


def _two_clients() -> dict:
    """c (urgency 1) and d (urgency 3) both want the one place at i; j is further and later."""
    return {
        "version": 1, "as_of": "2026-01-05",
        "clients": [
            {"id": "c", "location": {"lat": 53.8, "lon": -1.55}, "age": 17, "needs": ["training", "housing"]},
            {"id": "d", "location": {"lat": 53.8, "lon": -1.55}, "age": 15, "needs": ["training"], "urgency": 3,
             "max_travel_km": 10},
        ],
        "provisions": [
            {"id": "p", "category": "training", "location": {"lat": 53.8, "lon": -1.50},
             "intakes": [{"id": "i", "start": "2026-01-10", "places": 1}]},
            {"id": "q", "category": "training", "location": {"lat": 53.9, "lon": -1.55}, "min_age": 16,
             "intakes": [{"id": "j", "start": "2026-03-01", "places": 1},
                         {"id": "old", "start": "2025-12-01", "places": 3}]},
            {"id": "h", "category": "housing", "location": {"lat": 53.81, "lon": -1.55},
             "intakes": [{"id": "full", "start": "2026-01-06", "places": 0}]},
        ],
    }


def test_pinned_placement_kept_and_others_move():
    problem = parse_problem(_two_clients())
    free = allocation_to_dict(solve(problem))
    assert {(p["client"], p["intake"]) for p in free["placements"]} == {("d", "i"), ("c", "j")}
    # c accepted i before d arrived: it stays, d (who cannot reach q) is left unmet.
    pinned = allocation_to_dict(solve(problem, pinned=[("c", "training", "i")]))
    assert {(p["client"], p["intake"], p.get("pinned", False)) for p in pinned["placements"]} == {("c", "i", True)}
    assert {(u["client"], u["need"], u["reason"]) for u in pinned["unmet"]} == {
        ("d", "training", "capacity"), ("c", "housing", "capacity")}
    assert pinned["stats"]["pinned"] == 1


@pytest.mark.parametrize("pins", [[("x", "training", "i")], [("c", "cooking", "i")], [("c", "training", "zz")],
                                  [("c", "training", "i"), ("d", "training", "i")],
                                  [("c", "training", "i"), ("c", "training", "j")]])
def test_bad_pins_rejected(pins):
    with pytest.raises(ProblemError) as e:
        solve(parse_problem(_two_clients()), pinned=pins)
    assert e.value.field.startswith("pinned[")


def test_suggest_ranks_and_explains():
    s = suggest(parse_problem(_two_clients()), "d")
    [training] = s.needs
    assert [o.intake for o in training.options] == ["i"]
    o = training.options[0]
    assert o.urgency_part == 3000 and o.wait_days == 5 and o.wait_cost == 5 and o.places_left == 1
    assert o.value == pytest.approx(o.urgency_part - o.wait_cost - o.km_cost)
    reasons = {e.intake: e.reason for e in training.excluded}
    assert reasons["j"] == "age 15 below minimum 16"
    s = suggest(parse_problem(_two_clients()), "c", pinned=[("d", "training", "i")])
    training, housing = s.needs
    assert [o.intake for o in training.options] == ["j"]
    reasons = {e.intake: e.reason for e in training.excluded}
    assert reasons["i"] == "no places left"
    assert reasons["old"].startswith("starts 2025-12-01, before available date")
    assert [e.reason for e in housing.excluded] == ["no places left"]


def test_suggest_far_excluded_and_unknown():
    raw = _two_clients()
    raw["clients"][1]["needs"] = ["training", "astrophysics"]
    raw["clients"][1]["exclude"] = ["p"]
    s = suggest(parse_problem(raw), "d", taken={"i": 1})
    training, astro = s.needs
    reasons = {e.intake: e.reason for e in training.excluded}
    assert reasons["i"] == "excluded by client"
    assert reasons["j"] == "age 15 below minimum 16"
    raw["clients"][1]["age"] = 17
    reasons = {e.intake: e.reason for e in suggest(parse_problem(raw), "d").needs[0].excluded}
    assert reasons["j"].startswith("too far (11.") and reasons["j"].endswith("km > 10 km)")
    assert astro.options == [] and "no provision" in astro.note
    with pytest.raises(KeyError):
        suggest(parse_problem(raw), "nobody")


def test_greedy_is_feasible_but_first_come_wins():
    raw = _two_clients()
    alloc = allocation_to_dict(greedy(parse_problem(raw)))
    check_allocation(raw, alloc)
    # Same available date: c is served first (by id), takes i; d gets nothing.
    assert {(p["client"], p["intake"]) for p in alloc["placements"]} == {("c", "i")}
    assert allocation_to_dict(solve(parse_problem(raw)))["objective"] > alloc["objective"]


def _v2_options() -> dict:
    """One young person (Bradford, not a care leaver, 15 until 20 January) and listings that
    each break one rule, plus one that fits."""
    at = {"lat": 53.8, "lon": -1.55}
    def prov(pid, **kw):
        return {"id": pid, "category": "housing", "location": at,
                "intakes": [{"id": f"{pid}-i", "start": "2026-01-12", "places": 1}], **kw}
    return {
        "version": 2, "as_of": "2026-01-05",
        "clients": [{"id": "f", "location": {"lat": 53.79, "lon": -1.75}, "birth_date": "2010-01-20",
                     "area": "E08000032", "needs": ["housing"], "max_travel_km": 25}],
        "provisions": [
            prov("leeds-only", areas=["E08000035", "E08000036"]),
            prov("care-leavers", requires=["care_leaver"]),
            prov("sixteen-plus", min_age=16),
            {**prov("later"), "min_age": 16, "intakes": [{"id": "later-i", "start": "2026-02-02", "places": 1}]},
            {**prov("full"), "intakes": [{"id": "full-i", "start": "2026-01-12", "places": 0}]},
        ],
    }


def test_suggest_explains_exclusions_with_the_rule_names_of_blocked_by():
    raw = _v2_options()
    s = suggest(parse_problem(raw), "f")
    [housing] = s.needs
    assert [o.intake for o in housing.options] == ["later-i"]  # 16 on 2 February
    by_intake = {e.intake: e for e in housing.excluded}
    assert by_intake["leeds-only-i"].rule == "area"
    assert "E08000035" in by_intake["leeds-only-i"].reason and "E08000032" in by_intake["leeds-only-i"].reason
    assert by_intake["care-leavers-i"].rule == "criteria" and "care_leaver" in by_intake["care-leavers-i"].reason
    assert by_intake["sixteen-plus-i"].rule == "age"
    assert by_intake["sixteen-plus-i"].reason == "age 15 on 2026-01-12 below minimum 16"
    assert by_intake["full-i"].rule == "no_places"
    assert housing.excluded_by == {"area": 1, "criteria": 1, "age": 1, "no_places": 1}
    assert housing.excluded_count == sum(housing.excluded_by.values())
    # The same names as the allocation's blocked_by when nothing is left.
    raw["provisions"] = raw["provisions"][:3]
    alloc = allocation_to_dict(solve(parse_problem(raw)))
    assert alloc["unmet"][0]["blocked_by"] in {e.rule for e in suggest(parse_problem(raw), "f").needs[0].excluded}


def test_suggest_value_breakdown_adds_up():
    raw = _v2_options()
    raw["clients"][0]["needs"] = [{"category": "housing", "since": "2025-12-06"}]
    raw["clients"][0]["prefers"] = ["later"]
    raw["clients"][0]["urgency"] = 2
    [o] = suggest(parse_problem(raw), "f").needs[0].options
    assert (o.urgency_part, o.waited_part, o.preference_part, o.wait_cost) == (2000, 30, 50, 2 * 28)
    assert o.value == pytest.approx(o.urgency_part + o.waited_part + o.preference_part - o.wait_cost - o.km_cost)
    placed = allocation_to_dict(solve(parse_problem(raw)))["placements"][0]
    assert placed["value"] == round(o.value, 2)


def test_greedy_respects_version2_rules():
    raw = _v2_options()
    alloc = allocation_to_dict(greedy(parse_problem(raw)))
    check_allocation(raw, alloc)
    assert [p["intake"] for p in alloc["placements"]] == ["later-i"]
