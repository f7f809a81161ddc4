"""The public templates: validated in one process, never an internal error, and the only schema
errors are the template mistakes listed (with their reasons) in docs/validate-corpus-findings.md."""

from __future__ import annotations

from pathlib import Path

from rosengine.errors import INTERNAL_ERROR, Finding, Severity
from rosengine.validate import validate
from tests.support.corpus import corpus_templates, require_corpus
from tests.support.paths import REPO

FINDINGS_DOC = REPO / "docs" / "validate-corpus-findings.md"
SCHEMA_RULES = {"InvalidTemplatePropertyType", "InvalidTemplateAttribute", "UnknownResourceType"}


def documented_mistakes() -> set[tuple[str, str, str]]:
    """(file under the corpus, path, rule) of every row of the doc's table."""
    rows = set()
    for line in FINDINGS_DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if line.startswith("| ") and len(cells) == 4 and cells[0] not in ("File", "---"):
            rows.add((cells[0], cells[1], cells[2]))
    return rows


def is_schema_error(finding: Finding) -> bool:
    if finding.severity != Severity.ERROR:
        return False
    return finding.rule_id in SCHEMA_RULES or (
        finding.rule_id == "StackValidationFailed" and ".Properties" in finding.path
    )


def test_corpus_has_no_internal_error_and_only_the_documented_schema_errors():
    root = require_corpus()
    files = [str(p) for p in corpus_templates()]
    findings = validate(files)
    internal = [f"{f.file}: {f.message}" for f in findings if f.rule_id == INTERNAL_ERROR]
    assert internal == []
    got = {
        (Path(f.file).resolve().relative_to(root.resolve()).as_posix(), f.path, f.rule_id)
        for f in findings
        if is_schema_error(f)
    }
    expected = documented_mistakes()
    assert len(expected) > 50
    assert sorted(got - expected) == [], "new schema errors: a template mistake (document it) or a bug"
    assert sorted(expected - got) == [], "documented mistakes no longer reported: remove their rows"


def test_funcraft_templates_have_no_schema_error():
    findings = validate([str(p) for p in corpus_templates("fun")])
    assert [f for f in findings if is_schema_error(f) or f.rule_id == INTERNAL_ERROR] == []
