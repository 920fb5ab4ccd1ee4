"""Several worker processes write to one index at once: no document may be lost."""
import datetime as dt
import multiprocessing
from types import SimpleNamespace

from broker.directory import search


def _listing(pid: int):
    return SimpleNamespace(
        id=pid,
        status="active",
        name=f"Listing {pid}",
        description="carpentry course",
        eligibility="",
        organisation=SimpleNamespace(name="Provider"),
        category="training",
        min_age=None,
        max_age=None,
        intakes=[SimpleNamespace(start=dt.date.today(), places=3, places_taken=0, rolling=True)],
        locations=[SimpleNamespace(id=pid, lat=53.8, lon=-1.55)],
    )


def _writer(index_dir: str, first: int, count: int) -> None:
    for pid in range(first, first + count):
        search.update_provisions(index_dir, [_listing(pid)])


def test_concurrent_writers_lose_nothing(tmp_path):
    index_dir = str(tmp_path / "index")
    search.open_index(index_dir)
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(index_dir, 1 + 1000 * w, 25)) for w in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    page = search.search(index_dir, search.SearchQuery(text="carpentry", per_page=100))
    assert page.total == 75
