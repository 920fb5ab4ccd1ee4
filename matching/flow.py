"""The assignment as a min cost flow, its optimal duals and the value of one more place.

Network (one unit of flow = one need; needs, intakes and the sink are numbered
``0..n_needs-1``, ``n_needs..n_needs+n_intakes-1`` and ``n_needs+n_intakes``)::

    need (supply 1) --cost -W, cap 1--> intake --cap places--> sink
    need --------------------cost 0, cap 1----------------> sink   (left unmet)

W is the placement's value in integer cost units (`cost_scale`); only arcs worth
more than nothing exist, so a minimum cost flow is a maximum value allocation and
never makes a placement worth <= 0. The constraint matrix is totally unimodular, so
the flow optimum is integral and optimal for the contract's problem (with values
rounded to 1/scale each; `cost_scale` keeps that under a millionth of a point).

Duals (`potentials`): shortest-path distances d from a virtual source on the residual
graph of an optimal flow (no negative cycle exists, so they are well defined), with
need -> intake arcs treated as uncapacitated (a need's supply of 1 bounds them
anyway), so used arcs come out tight. Then ``v[n] = d[n] - d[t]`` and
``u[i] = max(0, d[t] - d[i])`` are optimal LP duals: ``v[n] + u[i] >= W`` on every
arc, with equality on used ones, v = 0 on unmet needs and u = 0 on intakes with a
free place.

Marginal values (`sink_distances`): with one more place on intake i, the best new
flow is the old one plus the cheapest cycle through the new unit of capacity on
i -> sink, so the gain is ``max(0, -dist(sink -> i))`` in the residual graph. One
Dijkstra from the sink on reduced costs ``c + d[tail] - d[head]`` (non-negative
because d are optimal potentials) gives every intake's at once:
``gain(i) = max(0, u_raw[i] - D[i])`` with ``u_raw = d[t] - d[i]`` and D the reduced
distance (infinite, so gain 0, where nobody can use the place).
"""

from __future__ import annotations

import gc
import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numba
import numpy as np
from ortools.graph.python import min_cost_flow

INF = np.iinfo(np.int64).max // 4


def cost_scale(max_abs_value: float, n_nodes: int, exponent: int = 6) -> float:
    """10**k for the largest k <= `exponent` that keeps OR-Tools' costs far from overflow."""
    if max_abs_value <= 0:
        return 10.0**exponent
    k = min(exponent, math.floor(math.log10(2.0**60 / ((n_nodes + 1) * max_abs_value))))
    return 10.0**k


def min_cost_flow_used(n_needs: int, n_intakes: int, arc_need: np.ndarray, arc_intake: np.ndarray,
                       arc_w: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Which arcs a maximum value assignment uses (bool per arc). Numbers are compact here."""
    sink = n_needs + n_intakes
    mcf = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([arc_need, n_needs + np.arange(n_intakes), np.arange(n_needs)]).astype(np.int32)
    heads = np.concatenate([n_needs + arc_intake, np.full(n_intakes, sink), np.full(n_needs, sink)]).astype(np.int32)
    caps = np.concatenate([np.ones(len(arc_need), dtype=np.int64), capacity,
                           np.ones(n_needs, dtype=np.int64)]).astype(np.int64)
    costs = np.concatenate([-arc_w, np.zeros(n_intakes + n_needs, dtype=np.int64)]).astype(np.int64)
    mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    del tails, heads, caps, costs
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_needs] = 1
    supplies[sink] = -n_needs
    mcf.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"min cost flow failed with status {status}")
    return np.asarray(mcf.flows(np.arange(len(arc_need), dtype=np.int32)) > 0)


def _compact(need: np.ndarray, intake: np.ndarray, places_left: np.ndarray):
    """The arcs' needs and intakes renumbered 0.. (needs, need numbers, intakes, intake
    numbers, the intakes' places)."""
    needs_u, need_c = _renumbered(need)
    intakes_u, intake_c = _renumbered(intake)
    return needs_u, need_c, intakes_u, intake_c, np.maximum(places_left[intakes_u], 0)


def _renumbered(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(x, return_inverse=True)` for numbers >= 0, by a table instead of a sort."""
    if not len(x):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    seen = np.zeros(int(x.max()) + 1, dtype=bool)
    seen[x] = True
    return np.flatnonzero(seen), (np.cumsum(seen) - 1)[x]


def compact_flow(need: np.ndarray, intake: np.ndarray, w: np.ndarray, places_left: np.ndarray) -> np.ndarray:
    """Min cost flow on the given arcs (global numbers, places per intake): used per arc."""
    if not len(need):
        return np.zeros(0, dtype=bool)
    needs_u, need_c, intakes_u, intake_c, cap = _compact(need, intake, places_left)
    return min_cost_flow_used(len(needs_u), len(intakes_u), need_c, intake_c, w, cap)


def flow_with_duals(need: np.ndarray, intake: np.ndarray, w: np.ndarray, places_left: np.ndarray,
                    v_start: np.ndarray, u_start: np.ndarray):
    """`compact_flow` on the given arcs, then its optimal duals (`potentials`), searched
    from the labels of duals (v_start per need, u_start per intake, global numbers) of a
    similar earlier flow. Returns (used per arc, needs, their v, intakes, their u)."""
    needs_u, need_c, intakes_u, intake_c, cap = _compact(need, intake, places_left)
    n, m = len(needs_u), len(intakes_u)
    used = min_cost_flow_used(n, m, need_c, intake_c, w, cap)
    # Labels <= 0 with d[n] - d[sink] = v and d[sink] - d[i] = u.
    top = max(int(v_start[needs_u].max(initial=0)), 0)
    start = np.concatenate([v_start[needs_u] - top, -u_start[intakes_u] - top, [-top]]).astype(np.int64)
    d, _ = potentials(n, m, need_c, intake_c, w, used, cap, start=start)
    v, u = duals(n, m, d, intake_c)
    return used, needs_u, v, intakes_u, u


def _ready() -> None:
    return None


def repaired_flow_with_duals(need: np.ndarray, intake: np.ndarray, w: np.ndarray, places_left: np.ndarray,
                             used: np.ndarray, fresh: np.ndarray, v_start: np.ndarray, u_start: np.ndarray):
    """As `flow_with_duals`, from an optimal flow of the arcs not `fresh` (`used`) and its
    optimal duals (v_start, u_start, global numbers): the fresh arcs are put in one at a
    time (`_insert_arcs`), which costs far less than solving again when they are few.
    None if the duals given do not fit that flow (the caller then solves again)."""
    needs_u, need_c, intakes_u, intake_c, cap = _compact(need, intake, places_left)
    n, m = len(needs_u), len(intakes_u)
    d = np.concatenate([v_start[needs_u], -u_start[intakes_u], [0]]).astype(np.int64)
    x = np.asarray(used, dtype=np.uint8).copy()
    x[fresh] = 0
    order = np.flatnonzero(fresh)
    if not _insert_arcs(n, m, need_c, intake_c, np.asarray(w, dtype=np.int64), x, order, cap, d):
        return None
    v, u = duals(n, m, d, intake_c)
    return x.astype(bool), needs_u, v, intakes_u, u


@numba.njit(cache=True, nogil=True, inline="always")
def _heap_pop(heap_k, heap_v, size):
    """The least (key, node) of the binary heap's first `size` entries, and the new size."""
    key, node = heap_k[0], heap_v[0]
    size -= 1
    if size > 0:
        # Sift the last entry down from the root.
        lk, lv = heap_k[size], heap_v[size]
        p = 0
        while True:
            c = 2 * p + 1
            if c >= size:
                break
            if c + 1 < size and heap_k[c + 1] < heap_k[c]:
                c += 1
            if heap_k[c] >= lk:
                break
            heap_k[p], heap_v[p] = heap_k[c], heap_v[c]
            p = c
        heap_k[p], heap_v[p] = lk, lv
    return key, node, size


@numba.njit(cache=True, nogil=True, inline="always")
def _heap_push(heap_k, heap_v, size, key, node):
    """Adds (key, node) to the heap, growing its arrays when full: (heap_k, heap_v, new size)."""
    if size == heap_k.shape[0]:
        nk = np.empty(2 * size, dtype=np.int64)
        nv = np.empty(2 * size, dtype=np.int64)
        nk[:size], nv[:size] = heap_k, heap_v
        heap_k, heap_v = nk, nv
    p = size
    while p > 0:
        q = (p - 1) // 2
        if heap_k[q] <= key:
            break
        heap_k[p], heap_v[p] = heap_k[q], heap_v[q]
        p = q
    heap_k[p], heap_v[p] = key, node
    return heap_k, heap_v, size + 1


@numba.njit(cache=True, nogil=True)
def _insert_arcs(n_needs, n_intakes, arc_need, arc_intake, arc_w, x, order, capacity, d):
    """Puts the arcs `order` into an optimal flow `x` (0/1 per arc; those arcs at 0) of the
    other arcs, whose potentials `d` fit its residual graph (see the module docstring),
    keeping both optimal and fitting after each arc; False (nothing to trust) if `d` does
    not fit at the start.

    An arc a = (n, i) whose reduced cost c = -W + d[n] - d[i] is negative closes the
    cheapest cycle n -> i ~> n, found by Dijkstra from i on reduced costs (>= 0), stopped
    at distance -c: a shorter path to n makes the cycle negative, so one unit goes round
    it. Then d[y] += min(dist[y], T) - T for the nodes reached (T: n's distance, or -c
    when no cycle was negative) keeps every residual arc's reduced cost >= 0 (and 0
    along the path), and after a unit went round, raising d[n] makes a tight."""
    sink = n_needs + n_intakes
    n_nodes = sink + 1
    n_arcs = len(arc_need)
    present = np.ones(n_arcs, dtype=np.bool_)
    present[order] = False
    # Arcs by need and by intake.
    need_ptr = np.zeros(n_needs + 1, dtype=np.int64)
    intake_ptr = np.zeros(n_intakes + 1, dtype=np.int64)
    for a in range(n_arcs):
        need_ptr[arc_need[a] + 1] += 1
        intake_ptr[arc_intake[a] + 1] += 1
    for q in range(n_needs):
        need_ptr[q + 1] += need_ptr[q]
    for j in range(n_intakes):
        intake_ptr[j + 1] += intake_ptr[j]
    need_arcs = np.empty(n_arcs, dtype=np.int64)
    intake_arcs = np.empty(n_arcs, dtype=np.int64)
    fill_n = need_ptr[:-1].copy()
    fill_i = intake_ptr[:-1].copy()
    met = np.zeros(n_needs, dtype=np.bool_)
    inflow = np.zeros(n_intakes, dtype=np.int64)
    for a in range(n_arcs):
        need_arcs[fill_n[arc_need[a]]] = a
        fill_n[arc_need[a]] += 1
        intake_arcs[fill_i[arc_intake[a]]] = a
        fill_i[arc_intake[a]] += 1
        if x[a]:
            met[arc_need[a]] = True
            inflow[arc_intake[a]] += 1
    # The potentials must fit the residual graph of the arcs present.
    for a in range(n_arcs):
        q, j = arc_need[a], n_needs + arc_intake[a]
        if present[a] and -arc_w[a] + d[q] - d[j] < 0:
            return False
        if x[a] and arc_w[a] + d[j] - d[q] < 0:
            return False
    for q in range(n_needs):
        if d[q] - d[sink] < 0 or (not met[q] and d[sink] - d[q] < 0):
            return False
    for j in range(n_intakes):
        if (inflow[j] < capacity[j] and d[n_needs + j] - d[sink] < 0) or (inflow[j] > 0 and d[sink] - d[n_needs + j] < 0):
            return False
    dist = np.full(n_nodes, INF, dtype=np.int64)
    done = np.zeros(n_nodes, dtype=np.bool_)
    pred = np.full(n_nodes, -1, dtype=np.int64)  # the node before, on the path
    pred_arc = np.full(n_nodes, -1, dtype=np.int64)  # the arc of the flow network used (-1: one to or from the sink)
    touched = np.empty(n_nodes, dtype=np.int64)
    heap_k = np.empty(64, dtype=np.int64)
    heap_v = np.empty(64, dtype=np.int64)
    for a in order:
        n0, i0 = arc_need[a], n_needs + arc_intake[a]
        c = -arc_w[a] + d[n0] - d[i0]
        present[a] = True
        if c >= 0:
            continue
        limit = -c
        # Dijkstra from i0, stopped at `limit` or at n0.
        n_touched = 1
        touched[0] = i0
        dist[i0] = 0
        heap_k[0], heap_v[0] = 0, i0
        size = 1
        reached = False
        while size > 0:
            key, y, size = _heap_pop(heap_k, heap_v, size)
            if done[y] or key > dist[y]:
                continue
            if key >= limit:
                break
            done[y] = True
            if y == n0:
                reached = True
                break
            # The residual arcs out of y: (head, cost, flow network arc or -1).
            if y < n_needs:
                lo, hi, extra = need_ptr[y], need_ptr[y + 1], 1  # forward arcs, and y -> sink
            elif y < sink:
                lo, hi, extra = intake_ptr[y - n_needs], intake_ptr[y - n_needs + 1], 1
            else:
                lo, hi, extra = 0, n_needs + n_intakes, 0  # sink -> unmet needs, -> intakes with inflow
            for e in range(lo, hi + extra):
                if y < n_needs:
                    if e < hi:
                        b = need_arcs[e]
                        if not present[b]:
                            continue
                        z, cost, arc = n_needs + arc_intake[b], -arc_w[b], b
                    else:
                        z, cost, arc = sink, 0, -1
                elif y < sink:
                    if e < hi:
                        b = intake_arcs[e]
                        if not x[b]:
                            continue
                        z, cost, arc = arc_need[b], arc_w[b], b
                    else:
                        if inflow[y - n_needs] >= capacity[y - n_needs]:
                            continue
                        z, cost, arc = sink, 0, -1
                else:
                    if e < n_needs:
                        if met[e]:
                            continue
                    elif inflow[e - n_needs] == 0:
                        continue
                    z, cost, arc = e, 0, -1
                if done[z]:
                    continue
                nd = key + cost + d[y] - d[z]
                if nd < dist[z]:
                    if dist[z] == INF:
                        touched[n_touched] = z
                        n_touched += 1
                    dist[z] = nd
                    pred[z], pred_arc[z] = y, arc
                    heap_k, heap_v, size = _heap_push(heap_k, heap_v, size, nd, z)
        T = dist[n0] if reached else limit
        if reached:
            # One unit round the cycle: along the path back from n0 to i0, then a.
            z = n0
            while z != i0:
                y, b = pred[z], pred_arc[z]
                if b >= 0:
                    if y < n_needs:  # y -> intake z, forward
                        x[b] = 1
                        inflow[z - n_needs] += 1
                    else:  # intake y -> need z, backward
                        x[b] = 0
                        inflow[y - n_needs] -= 1
                elif y < n_needs:  # y -> sink: y is left unmet
                    met[y] = False
                elif y == sink and z < n_needs:  # sink -> z: z is placed
                    met[z] = True
                z = y
            x[a] = 1
            inflow[i0 - n_needs] += 1
            met[n0] = True
        for t in range(n_touched):
            y = touched[t]
            if done[y]:
                d[y] += dist[y] - T
            dist[y] = INF
            done[y] = False
        if reached:
            c = -arc_w[a] + d[n0] - d[i0]
            if c < 0:
                d[n0] -= c
    return True


class FlowPool:
    """Worker processes that solve independent flows side by side (OR-Tools holds the GIL
    while it solves, so threads would take turns). Forked from this process when made,
    before any scan thread runs (so none holds a lock) and while the process holds little
    more than the problem: a fork keeps alive, in the worker, every page the parent had
    then, so forking later would keep the scans' scratch twice. Sharing memory
    copy-on-write needs no imports or guarded main module; `close` ends them."""

    def __init__(self, workers: int):
        self.workers = workers
        # Objects made so far are left out of the workers' garbage collections, which would
        # otherwise write to (and so copy) every page holding one.
        gc.freeze()
        try:
            self._executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
            for f in [self._executor.submit(_ready) for _ in range(workers)]:
                f.result()  # a fork pool starts every worker on its first task
        finally:
            gc.unfreeze()

    def map(self, fn, calls: list[tuple], meanwhile=None) -> tuple[list, object]:
        """fn(*call) for each call on the workers, and `meanwhile()` in this process while
        they run: (their results, its result)."""
        futures = [self._executor.submit(fn, *args) for args in calls]
        extra = meanwhile() if meanwhile is not None else None
        return [f.result() for f in futures], extra

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None


@numba.njit(cache=True, nogil=True)
def residual_graph(n_needs, n_intakes, arc_need, arc_intake, arc_w, used, capacity):
    """CSR residual graph (see the module docstring): ptr, head, cost."""
    sink = n_needs + n_intakes
    n_nodes = sink + 1
    inflow = np.zeros(n_intakes, dtype=np.int64)
    met = np.zeros(n_needs, dtype=np.bool_)
    for a in range(len(arc_need)):
        if used[a]:
            inflow[arc_intake[a]] += 1
            met[arc_need[a]] = True
    deg = np.zeros(n_nodes + 1, dtype=np.int64)
    for a in range(len(arc_need)):
        deg[arc_need[a] + 1] += 1
        if used[a]:
            deg[n_needs + arc_intake[a] + 1] += 1
    for n in range(n_needs):
        deg[n + 1] += 1
        if not met[n]:
            deg[sink + 1] += 1
    for i in range(n_intakes):
        if inflow[i] < capacity[i]:
            deg[n_needs + i + 1] += 1
        if inflow[i] > 0:
            deg[sink + 1] += 1
    ptr = np.cumsum(deg)
    fill = ptr[:-1].copy()
    head = np.empty(ptr[-1], dtype=np.int64)
    cost = np.empty(ptr[-1], dtype=np.int64)
    for a in range(len(arc_need)):
        n, i = arc_need[a], n_needs + arc_intake[a]
        head[fill[n]], cost[fill[n]] = i, -arc_w[a]
        fill[n] += 1
        if used[a]:
            head[fill[i]], cost[fill[i]] = n, arc_w[a]
            fill[i] += 1
    for n in range(n_needs):
        head[fill[n]], cost[fill[n]] = sink, 0
        fill[n] += 1
        if not met[n]:
            head[fill[sink]], cost[fill[sink]] = n, 0
            fill[sink] += 1
    for i in range(n_intakes):
        node = n_needs + i
        if inflow[i] < capacity[i]:
            head[fill[node]], cost[fill[node]] = sink, 0
            fill[node] += 1
        if inflow[i] > 0:
            head[fill[sink]], cost[fill[sink]] = node, 0
            fill[sink] += 1
    return ptr, head, cost


@numba.njit(cache=True, nogil=True)
def _spfa(ptr, head, cost, d):
    """Lowers the labels d (<= 0) until no residual arc is violated: with d = 0, the shortest
    distances from a virtual source joined to every node at cost 0."""
    n_nodes = len(ptr) - 1
    queue = np.arange(n_nodes, dtype=np.int64)
    ring = np.empty(n_nodes + 1, dtype=np.int64)
    ring[:n_nodes] = queue
    inq = np.ones(n_nodes, dtype=np.bool_)
    qh, qt, size = 0, n_nodes % (n_nodes + 1), n_nodes
    cap = n_nodes + 1
    relax = 0
    limit = 50 * n_nodes * 1000
    while size > 0:
        x = ring[qh]
        qh = (qh + 1) % cap
        size -= 1
        inq[x] = False
        dx = d[x]
        for e in range(ptr[x], ptr[x + 1]):
            y = head[e]
            nd = dx + cost[e]
            if nd < d[y]:
                d[y] = nd
                relax += 1
                if not inq[y]:
                    inq[y] = True
                    ring[qt] = y
                    qt = (qt + 1) % cap
                    size += 1
        if relax > limit:
            return d, False
    return d, True


def potentials(n_needs: int, n_intakes: int, arc_need: np.ndarray, arc_intake: np.ndarray, arc_w: np.ndarray,
               used: np.ndarray, capacity: np.ndarray, start: np.ndarray | None = None):
    """Optimal potentials of an optimal flow: (d, residual graph). See the module docstring.

    `start` (the potentials of a previous, similar flow) only speeds it up: label correcting
    from any labels <= 0 ends at labels that violate no residual arc, which is all that the
    duals need (v >= 0, u >= 0, v + u >= W, tight on used arcs).
    """
    graph = residual_graph(n_needs, n_intakes, arc_need, arc_intake, arc_w, used, capacity)
    d0 = np.zeros(n_needs + n_intakes + 1, dtype=np.int64) if start is None else np.minimum(start, 0).astype(np.int64)
    d, ok = _spfa(*graph, d0)
    if not ok:
        raise RuntimeError("residual graph has a negative cycle: the flow is not optimal")
    return d, graph


def duals(n_needs: int, n_intakes: int, d: np.ndarray, arc_intake: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(v per need, u per intake) in cost units from potentials d; intakes without arcs get 0."""
    sink = n_needs + n_intakes
    v = d[:n_needs] - d[sink]
    u = np.maximum(d[sink] - d[n_needs:sink], 0)
    touched = np.zeros(n_intakes, dtype=bool)
    touched[arc_intake] = True
    u[~touched] = 0
    return v, u


@numba.njit(cache=True, nogil=True)
def sink_distances(ptr, head, cost, d, source):
    """Dijkstra from `source` on reduced costs cost + d[tail] - d[head] (>= 0): distances (INF unreached)."""
    n_nodes = len(ptr) - 1
    dist = np.full(n_nodes, INF, dtype=np.int64)
    done = np.zeros(n_nodes, dtype=np.bool_)
    heap_k = np.empty(16, dtype=np.int64)
    heap_v = np.empty(16, dtype=np.int64)
    size = 0
    dist[source] = 0
    heap_k[0], heap_v[0] = 0, source
    size = 1
    while size > 0:
        key, x, size = _heap_pop(heap_k, heap_v, size)
        if done[x] or key > dist[x]:
            continue
        done[x] = True
        for e in range(ptr[x], ptr[x + 1]):
            y = head[e]
            if done[y]:
                continue
            nd = key + cost[e] + d[x] - d[y]
            if nd < dist[y]:
                dist[y] = nd
                heap_k, heap_v, size = _heap_push(heap_k, heap_v, size, nd, y)
    return dist
