"""Run ``ros`` in a subprocess with the test resource types installed (and the stand-in Template
API while the real one is missing): ``python tests/engine/cli_main.py stack create …``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fake_cloud  # noqa: E402
import standin  # noqa: E402

fake_cloud.install()
standin.install_if_needed()

from rosengine.cli import cli  # noqa: E402

if __name__ == "__main__":
    cli(prog_name="ros")
