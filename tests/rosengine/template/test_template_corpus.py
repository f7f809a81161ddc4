"""Every real-world template loads and is checked with TemplateErrors only, never a crash."""

from __future__ import annotations

from rosengine.errors import INTERNAL_ERROR, TemplateError, TemplateErrors
from rosengine.template import load_template
from rosengine.validate import check_template
from tests.support.corpus import corpus_templates


def test_corpus_loads_prepares_and_resolves_without_crashing():
    """One test for all ~740 files (one process, no per-file fixtures) to stay fast."""
    files = corpus_templates()
    assert len(files) > 700, f"only {len(files)} corpus templates found"
    internal = []
    for path in files:
        try:
            errors = check_template(load_template(path))  # raises nothing but TemplateErrors
        except (TemplateError, TemplateErrors) as exc:
            errors = exc.errors if isinstance(exc, TemplateErrors) else [exc]
        internal += [str(err) for err in errors if err.code == INTERNAL_ERROR]
        assert all(err.file for err in errors)
    assert internal == []
