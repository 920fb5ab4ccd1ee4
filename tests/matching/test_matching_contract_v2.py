"""Version 2 of the contract (docs/matching-problem-v2.md), one rule or field at a time."""

from __future__ import annotations

import copy

import pytest
from geopy.distance import great_circle
from matching_brute import best_objective, check_allocation

from matching import ProblemError, allocation_to_dict, parse_problem, solve

HOME = {"lat": 53.80, "lon": -1.55}
NEAR = {"lat": 53.80, "lon": -1.50}  # ~3.3 km east


def _one(client: dict | None = None, prov: dict | None = None, intakes: list | None = None, **top) -> dict:
    c = {"id": "c", "location": dict(HOME), "age": 17, "needs": ["training"]}
    p = {"id": "p", "category": "training", "location": dict(NEAR),
         "intakes": intakes or [{"id": "i", "start": "2026-01-10", "places": 1}]}
    c.update(client or {})
    p.update(prov or {})
    return {"version": 2, "as_of": "2026-01-05", "clients": [c], "provisions": [p], **top}


def _run(raw: dict, **kw) -> dict:
    alloc = allocation_to_dict(solve(parse_problem(raw), **kw))
    check_allocation(raw, alloc)
    return alloc


def _blocked(raw: dict) -> str | None:
    alloc = _run(raw)
    if alloc["placements"]:
        return None
    [u] = alloc["unmet"]
    return u.get("blocked_by", u["reason"])


def test_contract_example_shape():
    raw = {
        "version": 2, "as_of": "2026-01-05",
        "weights": {"urgency_value": 1000, "wait_day_cost": 1, "km_cost": 2, "waited_day_value": 1,
                    "preference_value": 50},
        "report": ["marginal_values"],
        "clients": [{"id": "c1", "location": {"lat": 53.80, "lon": -1.55}, "birth_date": "2009-02-11",
                     "available_from": "2026-01-05", "urgency": 3, "area": "E08000035", "criteria": ["care_leaver"],
                     "needs": ["training", {"category": "housing", "since": "2025-11-20"}],
                     "max_travel_km": 20, "exclude": ["p9"], "prefers": ["p4", "p1"]}],
        "provisions": [{"id": "p1", "category": "training",
                        "locations": [{"lat": 53.79, "lon": -1.54}, {"lat": 53.74, "lon": -1.60}],
                        "min_age": 16, "max_age": 19, "areas": ["E08000035", "E08000036"], "requires": [],
                        "weight": 1.0,
                        "intakes": [{"id": "p1-jan", "start": "2026-01-12", "places": 12},
                                    {"id": "p1-roll", "start": "2026-01-05", "places": 2, "rolling": True}]}],
    }
    alloc = _run(raw)
    [pl] = alloc["placements"]
    km = great_circle((53.80, -1.55), (53.79, -1.54)).km
    # 3000 + 0 waited (training has no since) + 50 * (2 - 1) / 2 for p1 ranked second - 2 km.
    assert pl["intake"] == "p1-roll" and pl["km"] == pl["distance_km"] == round(km, 2)
    assert pl["value"] == round(3000 + 25 - 2 * km, 2)
    assert alloc["unmet"] == [{"client": "c1", "need": "housing", "reason": "no_eligible_provision",
                               "blocked_by": "category"}]
    assert alloc["marginal_values"] == {"p1-jan": 0.0, "p1-roll": 0.0}
    assert alloc["version"] == 2 and alloc["objective"] == pl["value"]


@pytest.mark.parametrize("birth,start,ok", [
    ("2010-01-20", "2026-01-10", False),  # 15 on the start day
    ("2010-01-20", "2026-01-20", True),  # 16 on the start day (the birthday)
    ("2010-01-20", "2026-01-19", False),
    ("2007-01-20", "2026-01-19", True),  # 18, max 18
    ("2007-01-20", "2026-01-20", False),  # 19 on the start day
    ("2010-02-29" if False else "2008-02-29", "2024-02-28", False),
])
def test_age_on_the_start_day_from_birth_date(birth, start, ok):
    raw = _one({"birth_date": birth, "age": 30, "available_from": "2026-01-05" if start > "2026" else "2024-01-01"},
               {"min_age": 16, "max_age": 18}, [{"id": "i", "start": start, "places": 1}],
               as_of="2026-01-05" if start > "2026" else "2024-01-01")
    assert (_blocked(raw) is None) == ok
    if not ok:
        assert _blocked(raw) == "age"


def test_age_uses_available_day_for_a_running_rolling_intake():
    # Rolling since December; she can start on 2026-02-01, her 16th birthday.
    raw = _one({"birth_date": "2010-02-01", "available_from": "2026-02-01"}, {"min_age": 16},
               [{"id": "i", "start": "2025-12-01", "places": 1, "rolling": True}])
    assert _blocked(raw) is None
    raw["clients"][0]["available_from"] = "2026-01-31"
    assert _blocked(raw) == "age"


def test_no_age_no_limit():
    raw = _one({"age": None}, {"min_age": 16, "max_age": 19})
    del raw["clients"][0]["age"]
    assert _blocked(raw) is None


@pytest.mark.parametrize("areas,client_area,ok", [
    (None, None, True), (None, "E08000032", True), (["E08000035"], "E08000035", True),
    (["E08000035", "E08000036"], "E08000032", False), (["E08000035"], None, False), ([], "E08000035", False),
])
def test_area_rule(areas, client_area, ok):
    prov = {} if areas is None else {"areas": areas}
    client = {} if client_area is None else {"area": client_area}
    assert _blocked(_one(client, prov)) == (None if ok else "area")


def test_criteria_rule():
    prov = {"requires": ["care_leaver", "young_parent"]}
    assert _blocked(_one({"criteria": ["care_leaver"]}, prov)) == "criteria"
    assert _blocked(_one({"criteria": ["young_parent", "care_leaver", "carer"]}, prov)) is None
    assert _blocked(_one({}, {"requires": []})) is None


def test_distance_is_to_the_nearest_site_and_value_uses_it():
    far = {"lat": 54.2, "lon": -1.55}
    raw = _one({"max_travel_km": 5}, {"location": None, "locations": [far, dict(NEAR)]})
    del raw["provisions"][0]["location"]
    alloc = _run(raw)
    km = great_circle((53.8, -1.55), (53.8, -1.50)).km
    assert alloc["placements"][0]["km"] == round(km, 2)
    raw["provisions"][0]["locations"] = [far]
    assert _blocked(raw) == "distance"


def test_blocked_by_is_the_first_rule_with_nothing_left():
    # Two provisions: one fails on area, the other passes area but is too far: the area rule
    # leaves one provision, distance leaves none.
    raw = _one({"area": "A", "max_travel_km": 1}, {"areas": ["B"]})
    raw["provisions"].append({"id": "q", "category": "training", "location": {"lat": 53.9, "lon": -1.55},
                              "intakes": [{"id": "j", "start": "2026-01-10", "places": 1}]})
    assert _blocked(raw) == "distance"
    raw["clients"][0]["exclude"] = ["q"]
    raw["clients"][0]["max_travel_km"] = 50
    assert _blocked(raw) == "exclude"


@pytest.mark.parametrize("mutate,rule", [
    (lambda r: r["provisions"][0].update(category="housing"), "category"),
    (lambda r: r["provisions"][0].update(min_age=18), "age"),
    (lambda r: r["provisions"][0].update(areas=["X"]), "area"),
    (lambda r: r["provisions"][0].update(requires=["care_leaver"]), "criteria"),
    (lambda r: r["clients"][0].update(max_travel_km=1), "distance"),
    (lambda r: r["clients"][0].update(exclude=["p"]), "exclude"),
    (lambda r: r["provisions"][0]["intakes"][0].update(start="2026-01-01"), "start"),
    (lambda r: r["provisions"][0]["intakes"][0].update(start="2027-01-06"), "wait"),
    (lambda r: r["provisions"][0].update(intakes=[]), "category"),
])
def test_every_blocked_by_rule(mutate, rule):
    raw = _one()
    mutate(raw)
    assert _blocked(raw) == rule


def test_capacity_not_blocked():
    alloc = _run(_one(intakes=[{"id": "i", "start": "2026-01-10", "places": 0}]))
    assert alloc["unmet"] == [{"client": "c", "need": "training", "reason": "capacity"}]


def test_since_gives_waited_days_capped_at_365():
    km = great_circle((53.8, -1.55), (53.8, -1.50)).km
    for since, waited in (("2025-12-06", 30), ("2024-01-01", 365), ("2026-01-05", 0)):
        raw = _one({"needs": [{"category": "training", "since": since}]})
        [pl] = _run(raw)["placements"]
        assert pl["value"] == round(1000 + waited - 5 - 2 * km, 2)


def test_longer_waited_goes_first_among_equals():
    raw = _one({"needs": [{"category": "training", "since": "2025-12-01"}]})
    raw["clients"].append({"id": "b", "location": dict(HOME), "age": 17,
                           "needs": [{"category": "training", "since": "2025-10-01"}]})
    assert [p["client"] for p in _run(raw)["placements"]] == ["b"]


def test_wait_cost_scales_with_urgency():
    km = great_circle((53.8, -1.55), (53.8, -1.50)).km
    [pl] = _run(_one({"urgency": 3}))["placements"]
    assert pl["value"] == round(3000 - 3 * 5 - 2 * km, 2)


def test_preferences_rank_bonus():
    raw = _one({"prefers": ["q", "p", "zz"]})
    km = great_circle((53.8, -1.55), (53.8, -1.50)).km
    [pl] = _run(raw)["placements"]
    assert pl["value"] == round(1000 + 50 * 2 / 3 - 5 - 2 * km, 2)
    # The young person's first choice wins over a nearer one.
    raw["provisions"].append({"id": "q", "category": "training", "location": {"lat": 53.8, "lon": -1.40},
                              "intakes": [{"id": "j", "start": "2026-01-10", "places": 1}]})
    assert _run(raw)["placements"][0]["provision"] == "q"


def test_weight_scales_urgency_part():
    km = great_circle((53.8, -1.55), (53.8, -1.50)).km
    [pl] = _run(_one({}, {"weight": 0.5}))["placements"]
    assert pl["value"] == round(500 - 5 - 2 * km, 2)


def test_duplicate_category_is_one_need_the_first_counts():
    raw = _one({"needs": [{"category": "training", "since": "2025-12-06"}, "training",
                          {"category": "training", "since": "2025-01-01"}]})
    alloc = _run(raw)
    assert len(alloc["placements"]) == 1 and alloc["stats"]["needs"] == 1
    km = great_circle((53.8, -1.55), (53.8, -1.50)).km
    assert alloc["placements"][0]["value"] == round(1000 + 30 - 5 - 2 * km, 2)


def test_placement_worth_nothing_is_never_made():
    raw = _one(weights={"urgency_value": 10, "wait_day_cost": 3, "km_cost": 0})
    alloc = _run(raw)
    assert alloc["placements"] == [] and alloc["unmet"][0]["reason"] == "capacity"


def test_marginal_values_two_wanting_one_place():
    raw = _one(report=["marginal_values"])
    raw["clients"].append({"id": "d", "location": dict(HOME), "age": 17, "needs": ["training"], "urgency": 2})
    raw["provisions"].append({"id": "nobody", "category": "housing", "location": dict(NEAR),
                              "intakes": [{"id": "h", "start": "2026-01-10", "places": 1}]})
    for mode in ("exact", "pricing"):
        alloc = _run(raw, mode=mode)
        assert [p["client"] for p in alloc["placements"]] == ["d"]
        with_one_more = copy.deepcopy(raw)
        with_one_more["provisions"][0]["intakes"][0]["places"] = 2
        gain = best_objective(with_one_more) - best_objective(raw)
        assert alloc["marginal_values"]["i"] == round(gain, 2) and gain > 900
        assert alloc["marginal_values"]["h"] == 0.0


def test_marginal_value_of_a_full_intake_with_no_places():
    raw = _one(report=["marginal_values"], intakes=[{"id": "i", "start": "2026-01-10", "places": 0}])
    alloc = _run(raw)
    km = great_circle((53.8, -1.55), (53.8, -1.50)).km
    assert alloc["marginal_values"]["i"] == round(1000 - 5 - 2 * km, 2)


@pytest.mark.parametrize("mutate,field", [
    (lambda r: r["clients"][0].update(needs=["training", {"category": "housing", "since": "05/01/2026"}]),
     "clients[0].needs[1].since"),
    (lambda r: r["clients"][0].update(needs=[{"since": "2025-01-01"}]), "clients[0].needs[0].category"),
    (lambda r: r["clients"][0].update(needs=[{"category": "training", "since": "2026-02-01"}]),
     "clients[0].needs[0].since"),
    (lambda r: r["clients"][0].update(needs=[3]), "clients[0].needs[0]"),
    (lambda r: r["clients"][0].update(birth_date="2009-13-01"), "clients[0].birth_date"),
    (lambda r: r["clients"][0].update(area=5), "clients[0].area"),
    (lambda r: r["clients"][0].update(criteria="care_leaver"), "clients[0].criteria"),
    (lambda r: r["clients"][0].update(criteria=[""]), "clients[0].criteria[0]"),
    (lambda r: r["clients"][0].update(prefers=["p", "p"]), "clients[0].prefers[1]"),
    (lambda r: r["provisions"][0].update(locations=[]), "provisions[0].locations"),
    (lambda r: r["provisions"][0].update(locations=[{"lat": 91, "lon": 0}]), "provisions[0].locations[0].lat"),
    (lambda r: r["provisions"][0].pop("location"), "provisions[0].location"),
    (lambda r: r["provisions"][0].update(areas="E08000035"), "provisions[0].areas"),
    (lambda r: r["provisions"][0].update(requires=[1]), "provisions[0].requires[0]"),
    (lambda r: r["provisions"][0].update(weight=1.5), "provisions[0].weight"),
    (lambda r: r.update(report=["everything"]), "report[0]"),
    (lambda r: r.update(weights={"preference_value": "50"}), "weights.preference_value"),
])
def test_malformed_v2_problem_names_the_json_path(mutate, field):
    raw = _one()
    mutate(raw)
    with pytest.raises(ProblemError) as e:
        parse_problem(raw)
    assert e.value.field == field, str(e.value)
