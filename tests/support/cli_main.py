"""Run ``ros`` in a subprocess with the test resource types installed:
``python tests/support/cli_main.py stack create …``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support import fake_cloud

fake_cloud.install()

from rosengine.cli import cli  # noqa: E402

if __name__ == "__main__":
    cli(prog_name="ros")
