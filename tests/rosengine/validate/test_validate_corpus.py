"""No real-world template makes the validator fail internally (one process, no subprocesses)."""

from __future__ import annotations

from pathlib import Path

import pytest

import rosengine.template as template_api
from rosengine.errors import INTERNAL_ERROR
from rosengine.validate import validate_file
from rosengine.validate.discovery import discover

CORPUS = Path("/work/shared/corpus")
FILES = discover([str(CORPUS)]).files if CORPUS.is_dir() else []

pytestmark = [
    pytest.mark.skipif(not FILES, reason=f"corpus not found at {CORPUS}"),
    pytest.mark.skipif(
        not (hasattr(template_api, "load_template") and hasattr(template_api, "prepare")),
        reason="rosengine.template (load_template/prepare) is not available yet",
    ),
]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(Path(p).relative_to(CORPUS)))
def test_corpus_template_validates_without_internal_error(path: str):
    internal = [f for f in validate_file(path) if f.rule_id == INTERNAL_ERROR]
    assert internal == [], internal[0].message if internal else ""
