"""Serving the app: waitress in one process (the embedded default), or gunicorn with several
worker processes on Linux, so every core serves; and the background threads each serving
process runs (its index follows the change log; without Redis, due jobs tick here too)."""
from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


def start_background(app) -> None:
    """Start this process's background threads (call once per serving process, after any fork)."""
    from broker.directory import index_sync
    from broker.jobs.queue import runner_name

    index_sync.follow(app, app.config["BROKER_INDEX_FOLLOW_SECONDS"])
    if runner_name(app) == "thread":
        threading.Thread(target=_tick_due_jobs, args=(app,), name="due-jobs", daemon=True).start()


def _tick_due_jobs(app) -> None:
    """Without Redis there is no `broker worker`: run the due jobs from here (claimed in the database,
    so several processes run each once per interval)."""
    import time

    from broker.jobs.due import run_due

    while True:
        time.sleep(app.config["BROKER_DUE_SECONDS"])
        try:
            with app.app_context():
                run_due()
        except Exception:  # noqa: BLE001 - try again next tick
            log.exception("due jobs failed")


def serve_waitress(app, host: str, port: int, threads: int) -> None:
    from waitress import serve

    start_background(app)
    serve(app, host=host, port=port, threads=threads)


def serve_gunicorn(app, host: str, port: int, workers: int, threads: int) -> None:
    """Several processes forked from this one, each with `threads` threads (gunicorn's gthread worker)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("post_fork", lambda server, worker: _after_fork(app))
            self.cfg.set("accesslog", None)
            self.cfg.set("control_socket_disable", True)  # one per user by default: nodes on one host would share it
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("timeout", 120)

        def load(self):
            return app

    Server().run()


def _after_fork(app) -> None:
    from broker.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)  # connections opened before the fork belong to the parent
    start_background(app)
