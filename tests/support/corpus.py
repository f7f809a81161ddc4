"""The corpus of real-world templates, found next to the repository: ``<repo>/../shared/corpus``
(``ros-templates``: the public ROS templates; ``fun``: the Funcraft templates).

Why one helper: the corpus is not part of the repository, so a test that needs it must say so
when it is missing rather than pass by testing nothing. Missing, those tests skip with a reason;
with ``ROSENGINE_REQUIRE_CORPUS=1`` (set by CI, where the corpus is always present) they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.paths import REPO

CORPUS = REPO.parent / "shared" / "corpus"
REQUIRE_CORPUS = "ROSENGINE_REQUIRE_CORPUS"


def corpus_required() -> bool:
    """Whether a missing corpus fails the tests that need it (CI) instead of skipping them."""
    return os.environ.get(REQUIRE_CORPUS) == "1"


def require_corpus(name: str = "") -> Path:
    """``CORPUS/name`` (the whole corpus when no name is given); skips the calling test when it is
    missing, or fails it when ``ROSENGINE_REQUIRE_CORPUS=1``."""
    path = CORPUS / name if name else CORPUS
    if not path.is_dir():
        message = f"the template corpus is not at {path} (expected next to the repository)"
        if corpus_required():
            pytest.fail(f"{message}; {REQUIRE_CORPUS}=1 requires it")
        pytest.skip(message)
    return path


def corpus_templates(name: str = "") -> list[Path]:
    """The template files under ``CORPUS/name`` that ``ros validate`` would find there (reported
    like :func:`require_corpus` when the corpus is missing)."""
    from rosengine.validate.discovery import discover

    return [Path(p) for p in discover([str(require_corpus(name))]).files]
