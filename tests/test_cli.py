"""The `broker` command as a newcomer runs it: a fresh instance folder, a real server."""
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.servers import free_port, wait_until_answering

BROKER = [sys.executable, "-m", "broker"]


def demo_count() -> int:
    from broker.directory.demo import demo_size

    return demo_size()


def _env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    env.pop("BROKER_DATABASE_URL", None)
    env.update(BROKER_INSTANCE_PATH=str(tmp_path / "instance"), BROKER_INDEX_DIR=str(tmp_path / "instance" / "index"))
    return env


@pytest.fixture(scope="module")
def initialised(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("cli")
    env = _env(tmp_path)
    out = subprocess.run(BROKER + ["init"], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return tmp_path, env, out


def test_init_creates_database_loads_demo_and_builds_index(initialised):
    tmp_path, env, out = initialised
    assert f"Loaded {demo_count()} demo provisions." in out.stdout
    assert "Search index:" in out.stdout
    assert (tmp_path / "instance" / "broker.db").exists()
    assert "Building search index" in out.stderr  # the progress bar
    assert "lead@demo.example" in out.stdout  # the team lead supervising the demo PAs, with the other demo accounts


def test_init_twice_does_not_duplicate_the_directory(initialised):
    _, env, _ = initialised
    again = subprocess.run(BROKER + ["init"], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"already holds {demo_count()} provisions" in again.stdout


def test_reindex_rebuilds_from_the_database(initialised):
    tmp_path, env, _ = initialised
    out = subprocess.run(BROKER + ["reindex"], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "Search index:" in out.stdout


def test_serve_answers_housing_near_ls9_over_http(initialised):
    _, env, _ = initialised
    port = free_port()
    server = subprocess.Popen(BROKER + ["serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/api/v1/provisions?q=housing&near=LS9&radius_km=10&category=housing&sort=distance"
        status, _, raw = wait_until_answering(server, url)
        assert status == 200, raw
        body = json.loads(raw)
        assert body["total"] >= 3
        distances = [r["distance_km"] for r in body["results"]]
        assert distances == sorted(distances) and all(d <= 10 for d in distances)
        assert {r["category"] for r in body["results"]} == {"housing"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?q=housing&near=LS9&radius_km=10", timeout=5) as resp:
            assert "near LS9 within 10 km" in resp.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)


FIXTURES = Path(__file__).parent / "directory" / "oruk_fixtures"


def test_import_oruk_dry_run_then_import_then_again_changes_nothing(initialised):
    _, env, _ = initialised
    source = str(FIXTURES / "ukprofile_service_full.json")
    dry = subprocess.run(BROKER + ["import-oruk", source, "--dry-run"], env=env, capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0, dry.stderr
    assert "Dry run, nothing written." in dry.stdout and "Listings: 1 added" in dry.stdout
    first = subprocess.run(BROKER + ["import-oruk", source], env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and "Listings: 1 added" in first.stdout, first.stdout + first.stderr
    assert "1 need review" in first.stdout and "ukprofile_service_full.json (Community Counselling)" in first.stdout
    again = subprocess.run(BROKER + ["import-oruk", source], env=env, capture_output=True, text=True, timeout=120)
    assert "Listings: 0 added, 0 updated, 1 unchanged" in again.stdout


def test_import_oruk_leaves_out_a_bad_part_naming_it(initialised):
    _, env, _ = initialised
    source = str(FIXTURES / "published" / "spec30_service_full.json")
    result = subprocess.run(BROKER + ["import-oruk", source], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert ("spec30_service_full.json (Community Counselling) service_at_locations[0].location, latitude: must be "
            "between -90 and 90, got 100 (location left out)") in result.stdout
    strict = subprocess.run(BROKER + ["import-oruk", "--strict", str(FIXTURES / "published" / "ukprofile_service_full.json")],
                            env=env, capture_output=True, text=True, timeout=120)
    assert strict.returncode != 0 and "not imported (--strict), nothing changed" in strict.stderr and "latitude" in strict.stderr

