"""Every real-world template loads and prepares with TemplateErrors only, never a crash."""

from __future__ import annotations

from rosengine.errors import INTERNAL_ERROR
from rosengine.template import collect_errors
from tests.support.corpus import corpus_files, require_corpus


def test_corpus_loads_prepares_and_resolves_without_crashing():
    """One test for all ~740 files (one process, no per-file fixtures) to stay fast."""
    require_corpus()
    files = corpus_files("ros-templates", "fun")
    assert len(files) > 700, f"only {len(files)} corpus templates found"
    internal = []
    for path in files:
        _, errors = collect_errors(path)  # raises nothing; any exception fails the test
        internal += [str(err) for err in errors if err.code == INTERNAL_ERROR]
        assert all(err.file for err in errors)
    assert internal == []
