"""Schemathesis against a live server: the API's own OpenAPI document, real HTTP, no 5xx allowed.

    .venv/bin/python scripts/api_fuzz.py [--max-examples 20] [--checks not_a_server_error,...]

Builds a throwaway SQLite instance with the demo directory and accounts, serves it with
waitress on a free port in a thread, then runs `schemathesis run` anonymously and with a
PA's, a team lead's, a provider's and a manager's token. Exits non-zero if any run finds a failure. CI
runs it (see .ci/run).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CHECKS = "not_a_server_error,response_schema_conformance"


def build_instance(folder: Path):
    """A migrated SQLite database with the demo directory and accounts, and its search index."""
    os.environ["BROKER_INSTANCE_PATH"] = str(folder)
    os.environ.pop("BROKER_DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from broker import create_app
    from broker.demo_people import create_demo_people
    from broker.directory import demo
    from broker.directory.services import rebuild_index
    from broker.extensions import db

    # Enough sign-ins for the fuzzer's token requests to be answered, then limited (429 is documented).
    app = create_app({"BROKER_LOGIN_LIMIT": "600 per minute", "BROKER_PASSWORD_PROFILE": "CHEAPEST"})
    with app.app_context():
        upgrade()
        demo.load_demo()
        accounts = create_demo_people()
        db.session.commit()
        rebuild_index()
    return app, {role: (email, password) for role, email, password in accounts}


def serve(app):
    from waitress import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}"


def token(base: str, email: str, password: str) -> str:
    req = urllib.request.Request(
        f"{base}/api/v1/auth/token", data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)["token"]


def fuzz(base: str, label: str, checks: str, max_examples: int, headers: list[str], report: Path) -> int:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    cmd = [
        str(schemathesis), "run", f"{base}/api/v1/openapi.json", "--checks", checks,
        "--max-examples", str(max_examples), "--seed", "2026", "--workers", "1",
        "--phases", "examples,coverage,fuzzing", "--request-timeout", "30",
        "--suppress-health-check", "too_slow,filter_too_much",
        "--report", "junit", "--report-junit-path", str(report),
    ]
    for header in headers:
        cmd += ["--header", header]
    if headers:
        # Revoking the run's own token would leave the rest of the run with 401s; revocation
        # has its own tests (tests/auth/test_session_lifetime.py).
        cmd += ["--exclude-name", "DELETE /api/v1/auth/token"]
    print(f"== schemathesis ({label}): {' '.join(c if 'Bearer' not in c else 'Authorization: Bearer ***' for c in cmd)}", flush=True)
    started = time.perf_counter()
    code = subprocess.call(cmd, cwd=report.parent)
    print(f"== schemathesis ({label}) exited {code} in {time.perf_counter() - started:.0f} s", flush=True)
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--checks", default=DEFAULT_CHECKS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="broker-fuzz-") as tmp:
        folder = Path(tmp)
        app, accounts = build_instance(folder)
        server, base = serve(app)
        try:
            codes = [fuzz(base, "anonymous", args.checks, args.max_examples, [], folder / "anonymous.xml")]
            for role in ("pa", "lead", "provider", "manager"):
                bearer = f"Authorization: Bearer {token(base, *accounts[role])}"
                codes.append(fuzz(base, f"{role} token", args.checks, args.max_examples, [bearer], folder / f"{role}.xml"))
        finally:
            server.close()
    return 0 if all(c == 0 for c in codes) else 1


if __name__ == "__main__":
    sys.exit(main())
