"""Where the public template corpus is, and what a test does when it is missing.

The corpus sits next to the repository (``<repo>/../shared/corpus``: ros-templates and the
Funcraft templates in fun). CI has it and sets ``ROSENGINE_REQUIRE_CORPUS=1``, so there a missing
corpus fails the tests that need it; elsewhere they skip, saying why.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.paths import REPO

CORPUS = REPO.parent / "shared" / "corpus"
REQUIRE_ENV = "ROSENGINE_REQUIRE_CORPUS"


def corpus_dir(name: str = "") -> Path:
    """``CORPUS/name``; fails (CI) or skips (elsewhere) the calling test when it is missing."""
    path = CORPUS / name if name else CORPUS
    if not path.is_dir():
        message = f"the template corpus is not at {path}"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{message}, and {REQUIRE_ENV}=1 requires it")
        pytest.skip(message)
    return path


def corpus_templates(name: str = "") -> list[Path]:
    """The template files under ``CORPUS/name`` (what ``ros validate`` would find there)."""
    from rosengine.validate.discovery import discover

    return [Path(p) for p in discover([str(corpus_dir(name))]).files]
