"""The backend is composed in one place, and a part that cannot be loaded stops it from starting.

Why: add-ons used to be imported by name and silently left out when missing, so a broken
module gave a backend without (say) its async queue or OSS API that still said it was running.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fcbackend.composition import backend_routes

REPO = Path(__file__).resolve().parents[2]

_START_WITH_BROKEN_PART = textwrap.dedent(
    """
    import importlib.abc, sys

    class Broken(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == sys.argv[1]:
                raise RuntimeError(f"{name} is broken on purpose")
            return None

    sys.meta_path.insert(0, Broken())
    from fcbackend.server import main
    main(["--state-dir", sys.argv[2], "--driver", "process"])
    """
)


@pytest.mark.parametrize(
    "part", ["fcbackend.services", "fcbackend.twins", "fcbackend.asyncq.routes", "fcbackend.triggers.timer"]
)
def test_a_part_that_fails_to_import_fails_the_start_with_its_error(tmp_path: Path, part: str) -> None:
    try:
        done = subprocess.run(
            [sys.executable, "-c", _START_WITH_BROKEN_PART, part, str(tmp_path / "fc")],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the backend started (and kept serving) without {part}")
    assert done.returncode != 0
    assert f"{part} is broken on purpose" in done.stderr
    assert not (tmp_path / "fc" / "backend.json").exists(), "no backend announced itself"


def test_the_route_table_has_the_api_then_the_async_queue_then_the_triggers() -> None:
    paths = [getattr(route, "path", "") for route in backend_routes()]
    assert paths[0].endswith("/invocations"), "invoke first: the hot path"
    assert any("/async-invocations" in p or "/stateful-async-invocation" in p for p in paths)
    assert any("/proxy/" in p for p in paths)
