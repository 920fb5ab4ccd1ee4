"""Numpy arrays of a `Problem`, built once and shared by the solver, `suggest` and greedy.

Everything the rules and the value need is held as flat arrays indexed by client,
need, provision and intake number, so eligibility and value for many pairs are a
few vectorised operations. Dates are held as day numbers (`date.toordinal`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .geometry import BORDER_TOL, great_circle_km, km_between, unit_vectors
from .problem import MAX_WAIT_DAYS, Problem

# Rule numbers of the contract, used in explanations.
RULE_CATEGORY, RULE_AGE, RULE_DISTANCE, RULE_EXCLUDE, RULE_START, RULE_WAIT = 1, 2, 3, 4, 5, 6


@dataclass
class Options:
    """Every intake of one category as seen from one client (rules checked, values computed)."""

    intakes: np.ndarray  # intake numbers
    provisions: np.ndarray  # provision number of each intake
    km: np.ndarray
    wait: np.ndarray  # wait_days (>= 0)
    urgency_part: np.ndarray
    value: np.ndarray
    failed_rule: np.ndarray  # 0 when rules 1-6 all hold, else the first rule that fails


@dataclass
class ProblemIndex:
    """Flat arrays of a problem; build with `ProblemIndex.build(problem)`."""

    problem: Problem
    client_ids: list[str]
    client_pos: dict[str, int]
    client_xyz: np.ndarray
    client_age: np.ndarray
    client_avail: np.ndarray
    client_urgency: np.ndarray
    client_max_km: np.ndarray
    client_exclude: dict[int, np.ndarray]  # client number -> excluded provision numbers
    need_client: np.ndarray
    need_cat: np.ndarray  # category number, -1 when no provision has that category
    need_name: list[str]
    need_pos: dict[tuple[str, str], int]
    categories: list[str]
    prov_cat: np.ndarray
    prov_xyz: np.ndarray
    prov_min_age: np.ndarray
    prov_max_age: np.ndarray
    prov_weight: np.ndarray
    prov_first_intake: np.ndarray  # intakes of provision p are [first[p], first[p+1])
    intake_prov: np.ndarray
    intake_start: np.ndarray
    intake_places: np.ndarray
    intake_rolling: np.ndarray
    intake_ids: list[str]
    intake_pos: dict[str, int]
    provs_by_cat: list[np.ndarray] = field(default_factory=list)
    intakes_by_cat: list[np.ndarray] = field(default_factory=list)
    intake_local_prov_by_cat: list[np.ndarray] = field(default_factory=list)  # position in provs_by_cat[k]
    cat_pos: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, problem: Problem) -> "ProblemIndex":
        clients, provs = problem.clients, problem.provisions
        categories = sorted({p.category for p in provs})
        cat_num = {k: n for n, k in enumerate(categories)}
        client_pos = {c.id: n for n, c in enumerate(clients)}
        prov_pos = {p.id: n for n, p in enumerate(provs)}

        need_client, need_cat, need_name, need_pos = [], [], [], {}
        for n, c in enumerate(clients):
            for k in c.needs:
                need_pos[(c.id, k)] = len(need_client)
                need_client.append(n)
                need_cat.append(cat_num.get(k, -1))
                need_name.append(k)

        exclude = {}
        for n, c in enumerate(clients):
            ex = sorted(prov_pos[p] for p in c.exclude if p in prov_pos)
            if ex:
                exclude[n] = np.array(ex, dtype=np.int64)

        first, intake_prov, start, places, rolling, intake_ids = [0], [], [], [], [], []
        for n, p in enumerate(provs):
            for i in p.intakes:
                intake_prov.append(n)
                start.append(i.start.toordinal())
                places.append(i.places)
                rolling.append(i.rolling)
                intake_ids.append(i.id)
            first.append(len(intake_prov))

        inf = np.inf
        prov_cat = np.array([cat_num[p.category] for p in provs], dtype=np.int64)
        idx = cls(
            problem=problem,
            client_ids=[c.id for c in clients],
            client_pos=client_pos,
            client_xyz=unit_vectors([c.location.lat for c in clients], [c.location.lon for c in clients]).reshape(-1, 3),
            client_age=np.array([c.age for c in clients], dtype=np.float64),
            client_avail=np.array([c.available_from.toordinal() for c in clients], dtype=np.int64),
            client_urgency=np.array([c.urgency for c in clients], dtype=np.float64),
            client_max_km=np.array([c.max_travel_km for c in clients], dtype=np.float64),
            client_exclude=exclude,
            need_client=np.array(need_client, dtype=np.int64),
            need_cat=np.array(need_cat, dtype=np.int64),
            need_name=need_name,
            need_pos=need_pos,
            categories=categories,
            prov_cat=prov_cat,
            prov_xyz=unit_vectors([p.location.lat for p in provs], [p.location.lon for p in provs]).reshape(-1, 3),
            prov_min_age=np.array([-inf if p.min_age is None else p.min_age for p in provs], dtype=np.float64),
            prov_max_age=np.array([inf if p.max_age is None else p.max_age for p in provs], dtype=np.float64),
            prov_weight=np.array([p.weight for p in provs], dtype=np.float64),
            prov_first_intake=np.array(first, dtype=np.int64),
            intake_prov=np.array(intake_prov, dtype=np.int64),
            intake_start=np.array(start, dtype=np.int64),
            intake_places=np.array(places, dtype=np.int64),
            intake_rolling=np.array(rolling, dtype=bool),
            intake_ids=intake_ids,
            intake_pos={iid: n for n, iid in enumerate(intake_ids)},
        )
        idx.provs_by_cat = [np.flatnonzero(prov_cat == k) for k in range(len(categories))]
        idx.intakes_by_cat = [np.flatnonzero(prov_cat[idx.intake_prov] == k) for k in range(len(categories))]
        idx.intake_local_prov_by_cat = [
            np.searchsorted(idx.provs_by_cat[k], idx.intake_prov[idx.intakes_by_cat[k]]) for k in range(len(categories))
        ]
        idx.cat_pos = cat_num
        return idx

    def exact_km(self, client: int, prov: int) -> float:
        """The geopy distance for one pair (used for reported figures and borderline rule 3)."""
        c = self.problem.clients[client].location
        p = self.problem.provisions[prov].location
        return great_circle_km(c.lat, c.lon, p.lat, p.lon)

    def value_of(self, client: int, intake: int, km: float) -> tuple[float, int]:
        """(value, wait_days) of placing a need of `client` on `intake` at `km`."""
        w = self.problem.weights
        wait = max(0, int(self.intake_start[intake] - self.client_avail[client]))
        prov = self.intake_prov[intake]
        urgency_part = w.urgency_value * self.client_urgency[client] * self.prov_weight[prov]
        return float(urgency_part - w.wait_day_cost * wait - w.km_cost * km), wait

    def options(self, client: int, category: str) -> Options:
        """All intakes of `category` seen from `client`: the first failing rule, wait, km, value."""
        k = self.cat_pos.get(category, -1)
        if k < 0:
            intakes = np.zeros(0, dtype=np.int64)
            uprov = inv = intakes
        else:
            intakes, uprov, inv = self.intakes_by_cat[k], self.provs_by_cat[k], self.intake_local_prov_by_cat[k]
        provs = self.intake_prov[intakes]
        km_p = km_between(self.client_xyz[client : client + 1], self.prov_xyz[uprov])[0]
        limit = self.client_max_km[client]
        for j in np.flatnonzero(np.abs(km_p - limit) <= BORDER_TOL * (1.0 + limit)):
            km_p[j] = self.exact_km(client, int(uprov[j]))
        km = km_p[inv]
        raw_wait = self.intake_start[intakes] - self.client_avail[client]
        failed = np.zeros(len(intakes), dtype=np.int64)
        # Later checks overwrite earlier ones, so run them from rule 6 down to rule 2:
        # the number left is the first rule (in the contract's order) that fails.
        failed[raw_wait > MAX_WAIT_DAYS] = RULE_WAIT
        failed[(raw_wait < 0) & ~self.intake_rolling[intakes]] = RULE_START
        ex = self.client_exclude.get(client)
        if ex is not None:
            failed[np.isin(provs, ex)] = RULE_EXCLUDE
        failed[km > limit] = RULE_DISTANCE
        age = self.client_age[client]
        failed[(self.prov_min_age[provs] > age) | (self.prov_max_age[provs] < age)] = RULE_AGE
        wait = np.maximum(raw_wait, 0)
        w = self.problem.weights
        urgency_part = w.urgency_value * self.client_urgency[client] * self.prov_weight[provs]
        value = urgency_part - w.wait_day_cost * wait - w.km_cost * km
        return Options(intakes, provs, km, wait, urgency_part, value, failed)

