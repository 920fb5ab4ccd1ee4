"""Real `broker serve` processes for the tests that talk to one over HTTP."""
from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_answering(proc: subprocess.Popen, url: str, timeout_s: float = 90.0) -> tuple[int, dict, bytes]:
    """The first answer (status, headers, body) of the server `proc` to GET `url`, any
    status counting. Waits while the process starts (a loaded machine can take tens of
    seconds to import and open its database); fails at once if it exits."""
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            out = proc.communicate()[0] if proc.stdout else ""
            raise AssertionError(f"the server exited with {proc.returncode} before answering: {out}")
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not answer {url} within {timeout_s:.0f} s") from None
            time.sleep(0.2)
