"""Which files ``ros validate`` picks from files, directories and globs."""

from __future__ import annotations

from rosengine.validate.discovery import discover

TEMPLATE = "ROSTemplateFormatVersion: '2015-09-01'\n"


def test_directories_yield_only_templates(tmp_path):
    (tmp_path / "a.yml").write_text(TEMPLATE)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.json").write_text('{"ROSTemplateFormatVersion": "2015-09-01"}')
    (tmp_path / "ci.yml").write_text("jobs: {}\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "c.yml").write_text(TEMPLATE)
    found = discover([str(tmp_path)])
    assert found.files == [str(tmp_path / "a.yml"), str(tmp_path / "sub" / "b.json")]
    assert found.missing == []


def test_explicit_files_globs_and_missing(tmp_path):
    (tmp_path / "a.yml").write_text(TEMPLATE)
    (tmp_path / "not-a-template.yml").write_text("x: 1\n")
    found = discover(
        [
            str(tmp_path / "not-a-template.yml"),
            str(tmp_path / "*.yml"),
            str(tmp_path / "nope.yml"),
            str(tmp_path / "*.none"),
        ]
    )
    assert found.files == [str(tmp_path / "not-a-template.yml"), str(tmp_path / "a.yml")]
    assert found.missing == [str(tmp_path / "nope.yml"), str(tmp_path / "*.none")]
