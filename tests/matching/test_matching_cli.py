"""The real command, run as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "matching", *args], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, timeout=300)  # the first run may compile the kernels


def test_solve_prints_allocation(example, tmp_path):
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(example))
    done = _run("solve", str(path))
    assert done.returncode == 0, done.stderr
    alloc = json.loads(done.stdout)
    assert alloc["version"] == 1 and alloc["stats"]["met"] == 1
    assert alloc["placements"][0]["intake"] == "p1-roll"


def test_solve_out_file(example, tmp_path):
    path, out = tmp_path / "problem.json", tmp_path / "alloc.json"
    path.write_text(json.dumps(example))
    done = _run("solve", str(path), "--out", str(out))
    assert done.returncode == 0 and done.stdout == ""
    assert json.loads(out.read_text())["objective"] > 0


@pytest.mark.parametrize("mutate,field", [
    (lambda r: r["clients"][0]["location"].update(lat="north"), "clients[0].location.lat"),
    (lambda r: r["provisions"][0]["intakes"][0].pop("places"), "provisions[0].intakes[0].places"),
    (lambda r: r.update(version="1"), "version"),
])
def test_malformed_problem_exits_2_naming_field(example, tmp_path, mutate, field):
    mutate(example)
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(example))
    done = _run("solve", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0]


def test_not_json_exits_2(tmp_path):
    path = tmp_path / "problem.json"
    path.write_text("{not json")
    done = _run("solve", str(path))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


def test_missing_file_exits_2(tmp_path):
    done = _run("solve", str(tmp_path / "nope.json"))
    assert done.returncode == 2 and "nope.json" in done.stderr


def test_version2_answer(tmp_path):
    raw = {"version": 2, "as_of": "2026-01-05", "report": ["marginal_values"],
           "clients": [{"id": "c", "location": {"lat": 53.8, "lon": -1.55}, "needs": ["training", "housing"],
                        "birth_date": "2009-01-01"}],
           "provisions": [{"id": "p", "category": "training", "locations": [{"lat": 53.81, "lon": -1.55}],
                           "intakes": [{"id": "i", "start": "2026-01-10", "places": 1}]}]}
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(raw))
    done = _run("solve", str(path), "--mode", "pricing", "--time-limit", "30")
    assert done.returncode == 0, done.stderr
    alloc = json.loads(done.stdout)
    assert alloc["version"] == 2 and alloc["placements"][0]["km"] == alloc["placements"][0]["distance_km"]
    assert alloc["unmet"] == [{"client": "c", "need": "housing", "reason": "no_eligible_provision",
                               "blocked_by": "category"}]
    assert set(alloc["marginal_values"]) == {"i"}


def test_version2_malformed_names_json_path(tmp_path):
    raw = {"version": 2, "as_of": "2026-01-05", "provisions": [],
           "clients": [{"id": "c", "location": {"lat": 53.8, "lon": -1.55},
                        "needs": ["training", {"category": "housing", "since": "yesterday"}]}]}
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(raw))
    done = _run("solve", str(path))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == ["error: clients[0].needs[1].since: must be a date YYYY-MM-DD"]


@pytest.mark.parametrize("bad", ["0", "-3", "soon"])
def test_bad_time_limit_exits_2(example, tmp_path, bad):
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(example))
    done = _run("solve", str(path), "--time-limit", bad)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
