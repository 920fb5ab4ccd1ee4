"""The contract's rules, defaults and unmet reasons, one case at a time."""

from __future__ import annotations

import math

import pytest
from geopy.distance import great_circle

from matching import ProblemError, parse_problem


def _placed(alloc: dict) -> dict[tuple[str, str], str]:
    return {(p["client"], p["need"]): p["intake"] for p in alloc["placements"]}


def _unmet(alloc: dict) -> dict[tuple[str, str], str]:
    return {(u["client"], u["need"]): u["reason"] for u in alloc["unmet"]}


def test_contract_example(example, run_problem):
    alloc = run_problem(example)
    assert alloc["version"] == 1
    # The rolling intake has started, so it beats p1-jan by the 7 days' wait.
    [pl] = alloc["placements"]
    km = great_circle((53.80, -1.55), (53.79, -1.54)).km
    assert pl == {"client": "c1", "need": "training", "provision": "p1", "intake": "p1-roll",
                  "start": "2026-01-05", "wait_days": 0, "distance_km": round(km, 2),
                  "value": round(3000 - 2 * km, 2)}
    assert alloc["unmet"] == [{"client": "c1", "need": "housing", "reason": "no_eligible_provision"}]
    assert alloc["objective"] == pl["value"]
    assert {"needs", "met", "candidate_arcs", "seconds", "solver"} <= set(alloc["stats"])
    assert alloc["stats"]["needs"] == 2 and alloc["stats"]["met"] == 1


def test_non_rolling_intake_used_when_rolling_full(example, run_problem):
    example["provisions"][0]["intakes"][1]["places"] = 0
    [pl] = run_problem(example)["placements"]
    assert (pl["intake"], pl["wait_days"], pl["start"]) == ("p1-jan", 7, "2026-01-12")


def test_defaults_applied(example):
    raw = example
    del raw["weights"]
    c = raw["clients"][0]
    for key in ("available_from", "urgency", "max_travel_km", "exclude"):
        del c[key]
    p = raw["provisions"][0]
    del p["min_age"], p["max_age"]
    del p["intakes"][1]["rolling"]
    problem = parse_problem(raw)
    client = problem.clients[0]
    assert (problem.weights.urgency_value, problem.weights.wait_day_cost, problem.weights.km_cost) == (1000, 1, 2)
    assert client.available_from.isoformat() == "2026-01-05"
    assert client.urgency == 1 and client.max_travel_km == 25 and client.exclude == frozenset()
    prov = problem.provisions[0]
    assert prov.min_age is None and prov.max_age is None and prov.intakes[1].rolling is False
    assert prov.weight == 1.0


def _one(client: dict | None = None, prov: dict | None = None, intakes: list | None = None) -> dict:
    c = {"id": "c", "location": {"lat": 53.8, "lon": -1.55}, "age": 17, "needs": ["training"]}
    p = {"id": "p", "category": "training", "location": {"lat": 53.8, "lon": -1.50},
         "intakes": intakes or [{"id": "i", "start": "2026-01-10", "places": 1}]}
    c.update(client or {})
    p.update(prov or {})
    return {"version": 1, "as_of": "2026-01-05", "clients": [c], "provisions": [p]}


def _reason(raw: dict, run_problem) -> str | None:
    """None when placed, else the unmet reason."""
    alloc = run_problem(raw)
    return None if alloc["placements"] else alloc["unmet"][0]["reason"]


def test_rule1_category(run_problem):
    assert _reason(_one(prov={"category": "housing"}), run_problem) == "no_eligible_provision"


@pytest.mark.parametrize("age,lo,hi,ok", [(17, 16, 19, True), (16, 16, 19, True), (19, 16, 19, True),
                                          (15, 16, 19, False), (20, 16, 19, False), (30, None, None, True),
                                          (15, 16, None, False), (40, None, 25, False)])
def test_rule2_age_bounds_inclusive(age, lo, hi, ok, run_problem):
    prov = {k: v for k, v in (("min_age", lo), ("max_age", hi)) if v is not None}
    assert (_reason(_one({"age": age}, prov), run_problem) is None) == ok


def test_rule3_distance_boundary_matches_geopy(run_problem):
    km = great_circle((53.8, -1.55), (53.8, -1.50)).km
    assert _reason(_one({"max_travel_km": km}), run_problem) is None
    assert _reason(_one({"max_travel_km": math.nextafter(km, 0)}), run_problem) == "no_eligible_provision"


def test_rule3_default_max_travel_25km(run_problem):
    # ~24.7 km and ~25.3 km due north.
    near = _one(prov={"location": {"lat": 53.8 + 24.7 / 111.2, "lon": -1.55}})
    far = _one(prov={"location": {"lat": 53.8 + 25.3 / 111.2, "lon": -1.55}})
    assert _reason(near, run_problem) is None
    assert _reason(far, run_problem) == "no_eligible_provision"


def test_client_far_from_all_provision(run_problem):
    raw = _one({"location": {"lat": 51.5, "lon": -0.12}})  # London, provision in Leeds
    assert _reason(raw, run_problem) == "no_eligible_provision"


def test_rule4_exclude(run_problem):
    assert _reason(_one({"exclude": ["p"]}), run_problem) == "no_eligible_provision"
    assert _reason(_one({"exclude": ["other"]}), run_problem) is None


def test_rule5_start_before_available(run_problem):
    early = [{"id": "i", "start": "2026-01-01", "places": 1}]
    assert _reason(_one(intakes=early), run_problem) == "no_eligible_provision"
    assert _reason(_one({"available_from": "2026-01-10"}), run_problem) is None  # same day is fine


def test_rolling_intake_joinable_after_start(run_problem):
    rolling = [{"id": "i", "start": "2025-06-01", "places": 1, "rolling": True}]
    alloc = run_problem(_one(intakes=rolling))
    assert alloc["placements"][0]["wait_days"] == 0
    # A rolling intake that starts later still waits until its start.
    later = [{"id": "i", "start": "2026-02-04", "places": 1, "rolling": True}]
    assert run_problem(_one(intakes=later))["placements"][0]["wait_days"] == 30


def test_rule6_wait_at_most_365(run_problem):
    ok = [{"id": "i", "start": "2027-01-05", "places": 1}]  # 365 days after 2026-01-05
    late = [{"id": "i", "start": "2027-01-06", "places": 1}]
    assert _reason(_one(intakes=ok), run_problem) is None
    assert _reason(_one(intakes=late), run_problem) == "no_eligible_provision"


def test_zero_places_is_capacity_not_ineligible(run_problem):
    # The intake passes rules 1-6 (so there is an eligible provision) but has no place.
    assert _reason(_one(intakes=[{"id": "i", "start": "2026-01-10", "places": 0}]), run_problem) == "capacity"


def test_unknown_category_is_unmet_not_error(run_problem):
    alloc = run_problem(_one({"needs": ["astrophysics", "training"]}))
    assert _unmet(alloc) == {("c", "astrophysics"): "no_eligible_provision"}
    assert _placed(alloc) == {("c", "training"): "i"}


def test_capacity_goes_to_most_urgent(run_problem):
    raw = _one()
    raw["clients"].append({"id": "d", "location": {"lat": 53.8, "lon": -1.55}, "age": 17,
                           "needs": ["training"], "urgency": 3})
    alloc = run_problem(raw)
    assert _placed(alloc) == {("d", "training"): "i"}
    assert _unmet(alloc) == {("c", "training"): "capacity"}


def test_optimal_not_greedy_order(run_problem):
    # c can use either intake, d only the near one: both must be placed.
    raw = _one({"max_travel_km": 50}, intakes=[{"id": "near", "start": "2026-01-10", "places": 1}])
    raw["provisions"].append({"id": "q", "category": "training", "location": {"lat": 53.95, "lon": -1.55},
                              "intakes": [{"id": "far", "start": "2026-01-10", "places": 1}]})
    raw["clients"].append({"id": "d", "location": {"lat": 53.8, "lon": -1.55}, "age": 17,
                           "needs": ["training"], "max_travel_km": 10})
    alloc = run_problem(raw)
    assert _placed(alloc) == {("c", "training"): "far", ("d", "training"): "near"}


def test_negative_value_placement_not_taken(run_problem):
    # urgency 1 x 10 = 10, but 5 days x 3 = 15 wait cost: worth -5 - km, so better unmet.
    raw = _one()
    raw["weights"] = {"urgency_value": 10, "wait_day_cost": 3, "km_cost": 0}
    alloc = run_problem(raw)
    assert alloc["placements"] == [] and alloc["objective"] == 0
    assert _unmet(alloc) == {("c", "training"): "capacity"}  # eligible, just not worth a place
    raw["weights"]["wait_day_cost"] = 1
    assert run_problem(raw)["placements"][0]["value"] == 5


def test_weight_extension_scales_urgency_part(run_problem):
    raw = _one(prov={"weight": 0.5})
    [pl] = run_problem(raw)["placements"]
    km = great_circle((53.8, -1.55), (53.8, -1.50)).km
    assert pl["value"] == round(500 - 5 - 2 * km, 2)


def test_weight_extension_prefers_fresh_listing(run_problem):
    raw = _one(prov={"weight": 0.5})
    raw["provisions"].append({"id": "q", "category": "training", "location": {"lat": 53.8, "lon": -1.45},
                              "intakes": [{"id": "fresh", "start": "2026-01-10", "places": 1}]})
    assert _placed(run_problem(raw)) == {("c", "training"): "fresh"}


def test_modes_agree_on_example(example, run_problem):
    a = run_problem(example, mode="exact")
    b = run_problem(example, mode="pricing")
    assert a["objective"] == b["objective"] and a["placements"] == b["placements"]
    with pytest.raises(ValueError):
        run_problem(example, mode="fast")


def test_version1_answer_has_no_version2_fields(example, run_problem):
    example["provisions"][0]["intakes"] = []
    alloc = run_problem(example)
    assert alloc["version"] == 1 and "marginal_values" not in alloc
    assert all(set(u) == {"client", "need", "reason"} for u in alloc["unmet"])


@pytest.mark.parametrize("mutate,field", [
    (lambda r: r.update(version=3), "version"),
    (lambda r: r.pop("as_of"), "as_of"),
    (lambda r: r.update(as_of="05/01/2026"), "as_of"),
    (lambda r: r["clients"][0]["location"].update(lat="53.8"), "clients[0].location.lat"),
    (lambda r: r["clients"][0].update(urgency=4), "clients[0].urgency"),
    (lambda r: r["clients"][0].pop("age"), "clients[0].age"),
    (lambda r: r["clients"][0].update(needs="training"), "clients[0].needs"),
    (lambda r: r["clients"][0].update(needs=["training", "training"]), "clients[0].needs[1]"),
    (lambda r: r["clients"].append(dict(r["clients"][0])), "clients[1].id"),
    (lambda r: r["provisions"][0]["intakes"][0].update(places=-1), "provisions[0].intakes[0].places"),
    (lambda r: r["provisions"][0]["intakes"][0].update(places=1.5), "provisions[0].intakes[0].places"),
    (lambda r: r["provisions"][0]["intakes"][1].update(id="p1-jan"), "provisions[0].intakes[1].id"),
    (lambda r: r["provisions"][0]["intakes"][0].update(start="2026-02-30"), "provisions[0].intakes[0].start"),
    (lambda r: r["provisions"][0].update(weight=2), "provisions[0].weight"),
    (lambda r: r.update(weights={"km_cost": "2"}), "weights.km_cost"),
])
def test_malformed_problem_names_field(example, mutate, field):
    mutate(example)
    with pytest.raises(ProblemError) as e:
        parse_problem(example)
    assert e.value.field == field
    assert str(e.value).startswith(field + ": ")
