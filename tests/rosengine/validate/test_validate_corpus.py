"""No real-world template makes the validator fail internally (one process, no subprocesses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rosengine.errors import INTERNAL_ERROR
from rosengine.validate import validate_file
from rosengine.validate.discovery import discover
from tests.support.corpus import CORPUS, require_corpus

# The files `ros validate <corpus>` would pick; one placeholder when the corpus is missing, so that
# the test reports it (skip, or failure under ROSENGINE_REQUIRE_CORPUS=1).
FILES: list[str | None] = [*discover([str(CORPUS)]).files] if CORPUS.is_dir() else [None]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(Path(p).relative_to(CORPUS)) if p else "missing")
def test_corpus_template_validates_without_internal_error(path: str | None):
    require_corpus()
    assert path is not None
    internal = [f for f in validate_file(path) if f.rule_id == INTERNAL_ERROR]
    assert internal == [], internal[0].message if internal else ""
