"""Every Funcraft template of the corpus (and the serverless Transform templates among the ROS
templates) expands: none is NotSupported, each validates without error, and planning a stack
from it either succeeds or refuses exactly the resource types that have no local provider yet.

The corpus is ``<repo>/../shared/corpus``; without it these tests skip, unless
``ROSENGINE_REQUIRE_CORPUS=1`` (then its absence fails them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from resource_types import registry
from rosengine.engine import StackEngine
from rosengine.errors import NOT_SUPPORTED, UNKNOWN_RESOURCE_TYPE, Severity, TemplateErrors
from rosengine.state.sqlite import SqliteStateStore
from rosengine.template import load_template
from rosengine.validate import validate_file
from tests.support.corpus import CORPUS, require_corpus


def _serverless_templates() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    fun = sorted((CORPUS / "fun").rglob("template.yml"))
    ros = [
        p
        for p in sorted((CORPUS / "ros-templates").rglob("*.y*ml"))
        if "Transform: Aliyun::Serverless" in p.read_text(encoding="utf-8", errors="replace")
    ]
    return fun + ros


def _terraform_templates() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return [
        p
        for p in sorted((CORPUS / "ros-templates").rglob("*.y*ml"))
        if "Transform: Aliyun::Terraform" in p.read_text(encoding="utf-8", errors="replace")
    ]


SERVERLESS = _serverless_templates()
TERRAFORM = _terraform_templates()


@pytest.fixture(autouse=True)
def _corpus_present() -> None:
    require_corpus()


def test_the_corpus_is_the_one_expected():
    assert len([p for p in SERVERLESS if "/fun/" in str(p)]) == 34
    assert len(SERVERLESS) == 42 and len(TERRAFORM) >= 100


@pytest.mark.parametrize("path", SERVERLESS, ids=lambda p: str(p.relative_to(CORPUS)))
def test_serverless_template_validates_without_error(path: Path):
    findings = validate_file(path)
    assert [f for f in findings if f.rule_id == NOT_SUPPORTED] == []
    errors = [
        f"{f.line}:{f.col} {f.path}: {f.rule_id}: {f.message}"
        for f in findings
        if f.severity == Severity.ERROR
    ]
    assert errors == []
    # Warnings are for code that is not in the corpus and types without a schema yet, all located.
    assert all(f.line is not None for f in findings)
    assert {f.rule_id for f in findings} <= {"CodeUriNotFound", UNKNOWN_RESOURCE_TYPE}


def _dummy_parameters(path: Path) -> dict[str, str]:
    template = load_template(path, filename=str(path))
    values = {"Number": "1", "Json": "{}", "Boolean": "true", "CommaDelimitedList": "a"}
    return {
        name: values.get(str(spec.get("Type")), "x")
        for name, spec in (template.data.get("Parameters") or {}).items()
        if isinstance(spec, dict) and "Default" not in spec
    }


def _missing_providers(path: Path) -> set[str]:
    template = load_template(path, filename=str(path))
    found = set()
    for resource in template.data["Resources"].values():
        entry = registry.get(resource["Type"])
        if entry is None or entry.provider is None:
            found.add(resource["Type"])
    return found


@pytest.mark.parametrize("path", SERVERLESS, ids=lambda p: str(p.relative_to(CORPUS)))
def test_planning_refuses_exactly_the_types_without_a_provider(path: Path, tmp_path: Path):
    """What CreateStack checks before it starts anything: the template's resource types that
    cannot be created here are refused, each named; a template of FC types only plans."""
    engine = StackEngine(SqliteStateStore(tmp_path / "state.db"))
    missing = _missing_providers(path)
    body = path.read_text(encoding="utf-8")
    try:
        engine.plan(None, body, filename=str(path), parameters=_dummy_parameters(path), stack_name="corpus")
    except TemplateErrors as exc:
        assert missing, [str(e) for e in exc.errors]
        (error,) = exc.errors  # one error naming every type without a local implementation
        assert error.code == NOT_SUPPORTED, str(error)
        assert error.line is not None and error.file == str(path)
        assert set(error.details["types"]) == missing
    else:
        assert not missing


@pytest.mark.parametrize("path", TERRAFORM[:5], ids=lambda p: str(p.relative_to(CORPUS)))
def test_terraform_templates_stay_not_supported(path: Path):
    (finding,) = validate_file(path)
    assert (
        finding.rule_id == NOT_SUPPORTED
        and finding.path == "Transform"
        and "Terraform v1." in finding.message
    )
