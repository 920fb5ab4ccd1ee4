"""Real-browser fixtures: the app served over HTTP by waitress, driven by Debian's chromium
through Playwright.

- `live_server`: the `app` fixture from tests/conftest.py (fresh migrated, emptied
  database and a fresh index dir per test) served on 127.0.0.1 at a free port in a
  background thread; yields the base URL. Create data with tests/directory/factories.py
  in the test itself (the test runs inside the app context), before loading pages.
- `browser`: one headless chromium per session, launched from /usr/bin/chromium (never a
  Playwright-downloaded build; scripts/install-browser.sh installs it).
- `context` / `page`: a fresh context and page per test. A test needing other context
  options (e.g. JavaScript off) calls `browser.new_context(...)` itself.

Without /usr/bin/chromium (or the playwright package) the browser tests are skipped,
except under CI (env CI set), where they fail instead so a missing install is not hidden.
Every test under tests/browser gets the `browser` marker: `pytest -m "not browser"`
leaves them out.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 20_000
# Two workers each drive a chromium on a shared 2-core machine: give assertions as long as actions.
EXPECT_TIMEOUT_MS = 20_000
HERE = Path(__file__).resolve().parent


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real browser (Debian's chromium via Playwright)")


def pytest_collection_modifyitems(config, items):
    # This hook sees every collected item, not just this directory's: mark only ours.
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str):
    """Skip locally; in CI a missing browser or driver is a failure, not a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser tests must run: run scripts/install-browser.sh "
                    "and install the test extras)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _require_browser():
    """Runs before any other fixture of a browser test (the app, the server), so a missing
    browser is reported as such."""
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing: run scripts/install-browser.sh to install Debian's chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="session", autouse=True)
def _matcher_compiled():
    """A fresh checkout has no compiled matcher kernels: compile them before any page waits
    on a run (otherwise the first allocation run spends its compile inside a page's timeout)."""
    import matching

    matching.warm_up()


@pytest.fixture(scope="session")
def _sync_playwright(_require_browser):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(_sync_playwright):
    browser = _sync_playwright.chromium.launch(headless=True, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def live_server(app):
    """The test's app served over real HTTP; yields e.g. "http://127.0.0.1:41234"."""
    from waitress import create_server

    channels: dict = {}  # waitress's socket map: the listener, its trigger and every connection
    server = create_server(app, map=channels, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # server.run() loops until its socket map is empty, and the browser may still hold
        # keep-alive connections. Close them and the server from inside the loop's own
        # thread (a trigger thunk), so no socket is closed under a running select().
        def stop():
            for channel in list(channels.values()):
                if channel is not server and channel is not server.trigger:
                    channel.close()
            server.close()

        server.trigger.pull_trigger(stop)
        thread.join(timeout=10)
        if thread.is_alive():  # the loop is stuck: close from here as a last resort
            server.close()
        server.task_dispatcher.shutdown()


@pytest.fixture
def app(database_url, tmp_path):
    """As the suite's `app`, but with CSRF on: browser journeys post real forms with tokens."""
    from broker import create_app
    from broker.extensions import db
    from tests.conftest import _empty_tables, app_config

    app = create_app(app_config(database_url, tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        _empty_tables()
        yield app
        db.session.remove()
        db.engine.dispose()
