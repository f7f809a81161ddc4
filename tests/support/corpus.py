"""The corpus of real-world templates, found next to the repository: ``<repo>/../shared/corpus``.

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
TEMPLATE_SUFFIXES = (".yml", ".yaml", ".json")


def corpus_files(*parts: str) -> list[Path]:
    """Template files under ``CORPUS/<parts...>`` (every one when no part is named), sorted; empty
    when the corpus is missing (call :func:`require_corpus` in the test to report that)."""
    roots = [CORPUS.joinpath(part) for part in parts] or [CORPUS]
    return [
        path
        for root in roots
        if root.is_dir()
        for path in sorted(root.rglob("*"))
        if path.suffix in TEMPLATE_SUFFIXES and path.is_file()
    ]


def require_corpus() -> Path:
    """The corpus directory; skips the calling test when it is missing, or fails it when
    ``ROSENGINE_REQUIRE_CORPUS=1``."""
    if CORPUS.is_dir():
        return CORPUS
    message = f"the template corpus is not at {CORPUS} (expected next to the repository)"
    if os.environ.get(REQUIRE_CORPUS) == "1":
        pytest.fail(f"{message}; {REQUIRE_CORPUS}=1 requires it")
    pytest.skip(message)
