"""A stand-in for a backend that holds its state directory's serve lock but does not answer, and
a liveness check for the processes these tests start.

``STUCK_BACKEND`` is a program (run it with ``python -c``, the state dir as the first argument):
it takes ``serve.lock``, writes ``backend.json`` unless ``--no-record`` is given (a backend still
starting), ignores SIGTERM like a loop too busy to run its handler, prints ``ready`` and waits
for its stdin to close.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.paths import REPO

STUCK_BACKEND = textwrap.dedent("""
    import fcntl, json, signal, sys, os
    from pathlib import Path
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    state = Path(sys.argv[1]); state.mkdir(parents=True, exist_ok=True)
    lock = open(state / "serve.lock", "a+"); fcntl.flock(lock, fcntl.LOCK_EX)
    lock.write(f"{os.getpid()}\\n"); lock.flush()
    if "--no-record" not in sys.argv:
        (state / "backend.json").write_text(json.dumps({"pid": os.getpid(), "endpoint": "http://127.0.0.1:9"}))
    print("ready", flush=True)
    sys.stdin.read()
""")


@contextmanager
def stuck_backend(state: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    """Run :data:`STUCK_BACKEND` on ``state`` until the block ends; it is ready when yielded."""
    with subprocess.Popen(
        [sys.executable, "-c", STUCK_BACKEND, str(state), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    ) as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (dead, not yet reaped) counts as gone."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
