"""Compact numpy arrays of a `Problem`, built once and shared by every solver, `suggest`
and greedy.

Everything the rules and the value need is held as flat arrays indexed by need,
client, location, provision, site and intake number (`Arrays`, a NamedTuple that the
compiled kernels in rules.py and scan.py take as one argument). Dates are day numbers
(`date.toordinal`), with year and month*32+day alongside for ages; areas and criteria
are small integers and bit sets.

Spatial layout (what keeps the scans cheap):

* clients at the same point share a *location*, provisions' sites at the same point
  share a *site*, so each distance is measured once per (location, site) pair;
* needs are grouped by (location, category);
* locations are grouped into *blocks* of nearby points, and each block keeps, per
  category, the sites that may lie within its clients' reach (a box on the unit
  sphere, so poles and the antimeridian need no special case).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .config import TUNING
from .geometry import POW2, chord_for_km, unit_vectors
from .problem import MAX_WAITED_DAYS, Problem


class Arrays(NamedTuple):
    """The problem as arrays (see the module docstring); read by the compiled kernels."""

    weights: np.ndarray  # urgency_value, wait_day_cost, km_cost, waited_day_value, preference_value, wait x urgency (0/1)
    pow2: np.ndarray
    n_cat: int
    # needs
    need_client: np.ndarray
    need_cat: np.ndarray  # -1 when no provision has the category
    need_waited: np.ndarray  # waited_days (version 2; 0 in version 1)
    # clients
    client_loc: np.ndarray
    client_avail: np.ndarray
    client_avail_y: np.ndarray
    client_avail_md: np.ndarray
    client_urgency: np.ndarray
    client_max_km: np.ndarray
    client_age_kind: np.ndarray  # 0: no age limit applies, 1: fixed age, 2: from birth date
    client_age: np.ndarray
    client_birth_y: np.ndarray
    client_birth_md: np.ndarray
    client_area: np.ndarray  # -1: no area
    client_criteria: np.ndarray  # (C, words) bit sets over the criteria some provision requires
    client_exclude_ptr: np.ndarray
    client_exclude: np.ndarray  # provision numbers, sorted per client
    client_pref_ptr: np.ndarray
    client_pref_prov: np.ndarray
    client_pref_bonus: np.ndarray  # preference_value * (n - r) / n
    # locations
    loc_xyz: np.ndarray
    loc_lat: np.ndarray
    loc_lon: np.ndarray
    # provisions
    prov_cat: np.ndarray
    prov_weight: np.ndarray
    prov_min_age: np.ndarray  # -inf when none
    prov_max_age: np.ndarray  # +inf when none
    prov_any_area: np.ndarray  # 1: serves anywhere
    prov_area_ptr: np.ndarray
    prov_area: np.ndarray
    prov_requires: np.ndarray  # (P, words)
    prov_first_intake: np.ndarray  # intakes of provision p are [first[p], first[p+1])
    prov_site_ptr: np.ndarray
    prov_site: np.ndarray
    # sites
    site_xyz: np.ndarray
    site_lat: np.ndarray
    site_lon: np.ndarray
    # intakes
    intake_prov: np.ndarray
    intake_start: np.ndarray
    intake_start_y: np.ndarray
    intake_start_md: np.ndarray
    intake_rolling: np.ndarray
    # spatial layout
    loc_need_ptr: np.ndarray  # needs of (location l, category k) are loc_needs[ptr[l*K+k]:ptr[l*K+k+1]]
    loc_needs: np.ndarray
    loc_cat_max_km: np.ndarray
    block_loc_ptr: np.ndarray
    block_locs: np.ndarray
    block_site_ptr: np.ndarray  # candidate sites of (block b, category k): block_sites[ptr[b*K+k]:ptr[b*K+k+1]]
    block_sites: np.ndarray
    site_prov_ptr: np.ndarray  # provisions of (site s, category k): site_provs[ptr[s*K+k]:ptr[s*K+k+1]]
    site_provs: np.ndarray


def _csr(groups: list[list[int]], dtype=np.int64) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(groups) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(g) for g in groups])
    flat = np.fromiter((x for g in groups for x in g), dtype=dtype, count=int(ptr[-1]))
    return ptr, flat


def _unique_points(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (lat, lon) points: their lat, lon and each input's point number."""
    if not len(lat):
        return lat, lon, np.zeros(0, dtype=np.int64)
    pts, inv = np.unique(np.stack([lat, lon], axis=1), axis=0, return_inverse=True)
    return pts[:, 0].copy(), pts[:, 1].copy(), inv.ravel().astype(np.int64)


def _calendar(ordinals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Year and month*32+day per day number, computed once per distinct day."""
    if not len(ordinals):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    days, inv = np.unique(ordinals, return_inverse=True)
    from datetime import date

    y = np.array([date.fromordinal(int(d)).year for d in days], dtype=np.int64)
    md = np.array([date.fromordinal(int(d)).month * 32 + date.fromordinal(int(d)).day for d in days], dtype=np.int64)
    return y[inv.ravel()], md[inv.ravel()]


def _blocks(xyz: np.ndarray, reach_chord: float) -> list[np.ndarray]:
    """Groups of nearby points (grid cells on the unit sphere), each at most `BLOCK_LOCATIONS` long."""
    n = len(xyz)
    rows = TUNING.block_locations
    if n <= rows:
        return [np.arange(n)] if n else []
    s = max(reach_chord * TUNING.block_cell_of_reach, 1e-9)
    cells = np.floor(xyz / s).astype(np.int64)
    _, inv = np.unique(cells, axis=0, return_inverse=True)
    inv = inv.ravel()
    order = np.argsort(inv, kind="stable")
    bounds = np.flatnonzero(np.diff(inv[order])) + 1
    out = []
    for group in np.split(order, bounds):
        for start in range(0, len(group), rows):
            out.append(group[start : start + rows])
    return out


@dataclass
class ProblemIndex:
    """Arrays of a problem plus the id maps; build with `ProblemIndex.build(problem)`."""

    problem: Problem
    arrays: Arrays
    client_ids: list[str]
    client_pos: dict[str, int]
    need_name: list[str]  # category of each need
    need_pos: dict[tuple[str, str], int]
    categories: list[str]
    cat_pos: dict[str, int]
    prov_ids: list[str]
    prov_pos: dict[str, int]
    intake_ids: list[str]
    intake_pos: dict[str, int]
    intake_places: np.ndarray

    @property
    def n_needs(self) -> int:
        return len(self.need_name)

    @property
    def n_intakes(self) -> int:
        return len(self.intake_ids)

    @classmethod
    def build(cls, problem: Problem) -> "ProblemIndex":
        clients, provs = problem.clients, problem.provisions
        w = problem.weights
        v2 = problem.version >= 2
        categories = sorted({p.category for p in provs})
        cat_pos = {k: n for n, k in enumerate(categories)}
        K = max(len(categories), 1)
        client_pos = {c.id: n for n, c in enumerate(clients)}
        prov_pos = {p.id: n for n, p in enumerate(provs)}
        as_of = problem.as_of.toordinal()

        # Needs.
        need_client, need_cat, need_name, need_waited, need_pos = [], [], [], [], {}
        for n, c in enumerate(clients):
            for k in c.needs:
                if (c.id, k) in need_pos:
                    continue  # a category listed twice is one need
                need_pos[(c.id, k)] = len(need_client)
                need_client.append(n)
                need_cat.append(cat_pos.get(k, -1))
                need_name.append(k)
                since = c.since.get(k) if v2 and c.since else None
                need_waited.append(0 if since is None else min(MAX_WAITED_DAYS, max(0, as_of - since.toordinal())))
        need_client_a = np.array(need_client, dtype=np.int64)
        need_cat_a = np.array(need_cat, dtype=np.int64)

        # Criteria that some provision requires, as bits.
        crit_bits = {x: b for b, x in enumerate(sorted({x for p in provs for x in p.requires}))}
        words = max(1, math.ceil(len(crit_bits) / 64))

        def bits(items) -> np.ndarray:
            out = np.zeros(words, dtype=np.uint64)
            for x in items:
                b = crit_bits.get(x)
                if b is not None:
                    out[b // 64] |= np.uint64(1) << np.uint64(b % 64)
            return out

        area_codes: dict[str, int] = {}
        for p in provs:
            for a in sorted(p.areas or ()):
                area_codes.setdefault(a, len(area_codes))

        # Clients.
        C = len(clients)
        clat = np.array([c.location.lat for c in clients], dtype=np.float64)
        clon = np.array([c.location.lon for c in clients], dtype=np.float64)
        loc_lat, loc_lon, client_loc = _unique_points(clat, clon)
        avail = np.array([(c.available_from or problem.as_of).toordinal() for c in clients], dtype=np.int64)
        avail_y, avail_md = _calendar(avail)
        age_kind = np.zeros(C, dtype=np.int64)
        age = np.zeros(C, dtype=np.float64)
        birth = np.zeros(C, dtype=np.int64)
        for n, c in enumerate(clients):
            if c.birth_date is not None:
                age_kind[n] = 2
                birth[n] = c.birth_date.toordinal()
            elif c.age is not None:
                age_kind[n] = 1
                age[n] = c.age
        birth_y, birth_md = _calendar(birth[age_kind == 2])
        by = np.zeros(C, dtype=np.int64)
        bmd = np.zeros(C, dtype=np.int64)
        by[age_kind == 2], bmd[age_kind == 2] = birth_y, birth_md
        ex_groups, pref_groups, bonus_groups = [], [], []
        for c in clients:
            ex_groups.append(sorted({prov_pos[p] for p in c.exclude if p in prov_pos}))
            n_pref = len(c.prefers)
            pg, bg = [], []
            for r, pid in enumerate(c.prefers):
                if pid in prov_pos and prov_pos[pid] not in pg:
                    pg.append(prov_pos[pid])
                    bg.append(w.preference_value * (n_pref - r) / n_pref)
            pref_groups.append(pg)
            bonus_groups.append(bg)
        ex_ptr, ex_flat = _csr(ex_groups)
        pref_ptr, pref_flat = _csr(pref_groups)
        bonus = np.fromiter((x for g in bonus_groups for x in g), dtype=np.float64, count=int(pref_ptr[-1]))
        client_crit = np.zeros((C, words), dtype=np.uint64)
        if crit_bits:
            for n, c in enumerate(clients):
                if c.criteria:
                    client_crit[n] = bits(c.criteria)
        client_area = np.array([area_codes.get(c.area, -2) if c.area is not None else -1 for c in clients],
                               dtype=np.int64)

        # Provisions, sites and intakes.
        P = len(provs)
        site_points = [(s.lat, s.lon) for p in provs for s in p.sites]
        slat = np.array([s[0] for s in site_points], dtype=np.float64)
        slon = np.array([s[1] for s in site_points], dtype=np.float64)
        site_lat, site_lon, site_of = _unique_points(slat, slon)
        prov_site_ptr = np.zeros(P + 1, dtype=np.int64)
        prov_site_ptr[1:] = np.cumsum([len(p.sites) for p in provs])
        prov_site = site_of
        area_groups = [sorted(area_codes[a] for a in (p.areas or ())) for p in provs]
        area_ptr, area_flat = _csr(area_groups)
        prov_req = np.zeros((P, words), dtype=np.uint64)
        for n, p in enumerate(provs):
            if p.requires:
                prov_req[n] = bits(p.requires)
        first, intake_prov, start, places, rolling, intake_ids = [0], [], [], [], [], []
        for n, p in enumerate(provs):
            for i in p.intakes:
                intake_prov.append(n)
                start.append(i.start.toordinal())
                places.append(i.places)
                rolling.append(i.rolling)
                intake_ids.append(i.id)
            first.append(len(intake_prov))
        start_a = np.array(start, dtype=np.int64)
        start_y, start_md = _calendar(start_a)
        prov_cat = np.array([cat_pos[p.category] for p in provs], dtype=np.int64)
        inf = np.inf

        # Spatial layout.
        loc_xyz = unit_vectors(loc_lat, loc_lon)
        site_xyz = unit_vectors(site_lat, site_lon)
        L, S = len(loc_lat), len(site_lat)
        max_km = np.array([c.max_travel_km for c in clients], dtype=np.float64)
        known = need_cat_a >= 0
        key = client_loc[need_client_a] * K + np.maximum(need_cat_a, 0)
        order = np.flatnonzero(known)
        order = order[np.argsort(key[order], kind="stable")]
        loc_need_ptr = np.zeros(L * K + 1, dtype=np.int64)
        np.add.at(loc_need_ptr, key[order] + 1, 1)
        loc_need_ptr = np.cumsum(loc_need_ptr)
        loc_cat_max_km = np.zeros(L * K, dtype=np.float64)
        if len(order):
            np.maximum.at(loc_cat_max_km, key[order], max_km[need_client_a[order]])
        loc_reach = np.zeros(L)
        if C:
            np.maximum.at(loc_reach, client_loc, max_km)
        # Sites per (site, category), and the provisions there.
        sp_groups: list[list[int]] = [[] for _ in range(S * K)]
        for p in range(P):
            for s in prov_site[prov_site_ptr[p]:prov_site_ptr[p + 1]].tolist():
                sp_groups[s * K + prov_cat[p]].append(p)
        site_prov_ptr, site_provs = _csr(sp_groups)
        site_has_cat = np.diff(site_prov_ptr).reshape(S, K) > 0 if S else np.zeros((0, K), dtype=bool)
        # Blocks of nearby locations and the sites within their reach, per category.
        has_needs = np.diff(loc_need_ptr).reshape(L, K).sum(axis=1) > 0 if L else np.zeros(0, dtype=bool)
        live = np.flatnonzero(has_needs)
        median_reach = float(np.median(loc_reach[live])) if len(live) else 25.0
        groups = [live[g] for g in _blocks(loc_xyz[live], float(chord_for_km(median_reach)))]
        block_loc_ptr, block_locs = _csr([g.tolist() for g in groups])
        bs_groups: list[np.ndarray] = []
        for g in groups:
            reach = float(chord_for_km(loc_reach[g].max())) * (1 + 1e-9) + 1e-12
            lo = loc_xyz[g].min(axis=0) - reach
            hi = loc_xyz[g].max(axis=0) + reach
            inside = np.all((site_xyz >= lo) & (site_xyz <= hi), axis=1)
            cats = np.diff(loc_need_ptr).reshape(L, K)[g].sum(axis=0) > 0
            for k in range(K):
                bs_groups.append(np.flatnonzero(inside & site_has_cat[:, k]) if cats[k] and S else
                                 np.zeros(0, dtype=np.int64))
        block_site_ptr = np.zeros(len(bs_groups) + 1, dtype=np.int64)
        block_site_ptr[1:] = np.cumsum([len(b) for b in bs_groups])
        block_sites = np.concatenate(bs_groups).astype(np.int64) if bs_groups else np.zeros(0, dtype=np.int64)

        arrays = Arrays(
            weights=np.array([w.urgency_value, w.wait_day_cost, w.km_cost, w.waited_day_value if v2 else 0.0,
                              w.preference_value if v2 else 0.0, 1.0 if v2 else 0.0]),
            pow2=POW2,
            n_cat=K,
            need_client=need_client_a,
            need_cat=need_cat_a,
            need_waited=np.array(need_waited, dtype=np.float64),
            client_loc=client_loc,
            client_avail=avail,
            client_avail_y=avail_y,
            client_avail_md=avail_md,
            client_urgency=np.array([c.urgency for c in clients], dtype=np.float64),
            client_max_km=max_km,
            client_age_kind=age_kind,
            client_age=age,
            client_birth_y=by,
            client_birth_md=bmd,
            client_area=client_area,
            client_criteria=client_crit,
            client_exclude_ptr=ex_ptr,
            client_exclude=ex_flat,
            client_pref_ptr=pref_ptr,
            client_pref_prov=pref_flat,
            client_pref_bonus=bonus,
            loc_xyz=loc_xyz,
            loc_lat=loc_lat,
            loc_lon=loc_lon,
            prov_cat=prov_cat,
            prov_weight=np.array([p.weight for p in provs], dtype=np.float64),
            prov_min_age=np.array([-inf if p.min_age is None else p.min_age for p in provs], dtype=np.float64),
            prov_max_age=np.array([inf if p.max_age is None else p.max_age for p in provs], dtype=np.float64),
            prov_any_area=np.array([p.areas is None for p in provs], dtype=np.uint8),
            prov_area_ptr=area_ptr,
            prov_area=area_flat,
            prov_requires=prov_req,
            prov_first_intake=np.array(first, dtype=np.int64),
            prov_site_ptr=prov_site_ptr,
            prov_site=prov_site,
            site_xyz=site_xyz,
            site_lat=site_lat,
            site_lon=site_lon,
            intake_prov=np.array(intake_prov, dtype=np.int64),
            intake_start=start_a,
            intake_start_y=start_y,
            intake_start_md=start_md,
            intake_rolling=np.array(rolling, dtype=np.uint8),
            loc_need_ptr=loc_need_ptr,
            loc_needs=order.astype(np.int64),
            loc_cat_max_km=loc_cat_max_km,
            block_loc_ptr=block_loc_ptr,
            block_locs=block_locs,
            block_site_ptr=block_site_ptr,
            block_sites=block_sites,
            site_prov_ptr=site_prov_ptr,
            site_provs=site_provs,
        )
        return cls(
            problem=problem, arrays=arrays, client_ids=[c.id for c in clients], client_pos=client_pos,
            need_name=need_name, need_pos=need_pos, categories=categories, cat_pos=cat_pos,
            prov_ids=[p.id for p in provs], prov_pos=prov_pos, intake_ids=intake_ids,
            intake_pos={iid: n for n, iid in enumerate(intake_ids)},
            intake_places=np.array(places, dtype=np.int64),
        )

    @property
    def n_blocks(self) -> int:
        return len(self.arrays.block_loc_ptr) - 1

    def block_work(self) -> np.ndarray:
        """Rough work per block (needs x candidate sites), for splitting scans across threads."""
        A = self.arrays
        K = A.n_cat
        B = self.n_blocks
        work = np.zeros(B)
        counts = np.diff(A.loc_need_ptr)
        sites = np.diff(A.block_site_ptr)
        for b in range(B):
            locs = A.block_locs[A.block_loc_ptr[b]:A.block_loc_ptr[b + 1]]
            per_cat = counts.reshape(-1, K)[locs].sum(axis=0) if len(locs) else np.zeros(K)
            work[b] = float((per_cat * sites[b * K:(b + 1) * K]).sum()) + 1.0
        return work
