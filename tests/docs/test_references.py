"""Comments and docstrings cite facts from docs/ (or public URLs), never documents outside the
repository, and every ``docs/<page>.md#<anchor>`` they cite names a heading that exists."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.paths import REPO

SCANNED = ("rosengine", "resource_types", "fcbackend", "sqlstore", "tests", "benchmarks")
CITATION = re.compile(r"docs/([\w/.-]+\.md)((?:#[\w-]+)(?:,\s*(?:#\s*)?#[\w-]+)*)?")
OUTSIDE = re.compile(
    r"fc3?-spec|ros-template-spec|local-twins\.md|scale-out\.md|funcraft-serverless|shared/(?:spec|design)"
    r"|\b[Ss]pec\s+(?:section\s+)?(?:\d+\.\d+|[A-F]\.\d+|[A-F]\b)"
)
THIS_FILE = Path(__file__).resolve()


def _sources() -> list[Path]:
    found = [REPO / "ARCHITECTURE.md"]
    for top in SCANNED:
        found += [
            path
            for path in sorted((REPO / top).rglob("*"))
            if path.suffix in (".py", ".js") and "__pycache__" not in path.parts and path != THIS_FILE
        ]
    return found


def _anchors(page: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    for line in (REPO / "docs" / page).read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add("#" + re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", title)))
    return anchors


def violations(name: str, text: str) -> list[str]:
    """What in ``text`` cites a document outside the repository or a docs/ page or heading that
    does not exist."""
    found = [f"{name}: cites {m.group(0)!r}, which is not in the repository" for m in OUTSIDE.finditer(text)]
    for match in CITATION.finditer(text):
        page = match.group(1)
        if not (REPO / "docs" / page).is_file():
            found.append(f"{name}: docs/{page} does not exist")
            continue
        for anchor in re.findall(r"#[\w-]+", match.group(2) or ""):
            if anchor not in _anchors(page):
                found.append(f"{name}: docs/{page}{anchor} names no heading")
    return found


def test_the_checker_sees_both_kinds_of_bad_citation():
    assert violations("x", "signed as FC signs (fc-spec F.2)")
    assert violations("x", "see spec B.8 for the variables")
    assert violations("x", "docs/reference/fc-api.md#no-such-heading")
    assert violations("x", "docs/reference/fc-api.md#rest-api, #no-such-heading")
    assert violations("x", "docs/reference/no-such-page.md")
    assert violations("x", "docs/reference/fc-api.md#rest-api, #lists-and-object-shapes") == []


def test_every_citation_in_the_code_resolves_inside_the_repository():
    sources = _sources()
    assert len(sources) > 100
    problems = [p for path in sources for p in violations(str(path.relative_to(REPO)), path.read_text())]
    assert problems == []
