"""``ros validate``: check templates without creating anything.

Why its own exit code for warnings: CI wants "clean" (0), "broken" (2) and "review this" (4) apart
(a retired resource type or property is a warning); ``--strict`` makes warnings fail the run too.
"""

from __future__ import annotations

import os
import sys

import click

from rosengine.errors import TEMPLATE_NOT_FOUND, Finding, Severity
from rosengine.validate import FORMATS, render
from rosengine.validate import validate as validate_files
from rosengine.validate.discovery import discover

EXIT_CLEAN = 0
EXIT_ERRORS = 2
EXIT_WARNINGS = 4


def _parse_parameters(values: tuple[str, ...]) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected Key=Value, got {item!r}", param_hint="'-p' / '--parameter'")
        parameters[key.strip()] = value
    return parameters


@click.command("validate")
@click.option(
    "-t",
    "--template",
    "templates",
    multiple=True,
    metavar="FILE",
    help="Template file, directory or glob (repeatable).",
)
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option(
    "-p",
    "--parameter",
    "parameters",
    multiple=True,
    metavar="KEY=VALUE",
    help="Parameter value (repeatable). Parameters without a value and without a default are "
    "checked symbolically, not reported missing.",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format: text, json, sarif (SARIF 2.1.0) or junit (JUnit XML).",
)
@click.option("--strict", is_flag=True, help="Exit 2 on warnings too (retired types and properties, ...).")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Worker processes for many files (0: one per CPU, up to 8).",
)
@click.option(
    "--output-file",
    "-O",
    "output_file",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the report to this file instead of standard output.",
)
def validate(
    templates: tuple[str, ...],
    paths: tuple[str, ...],
    parameters: tuple[str, ...],
    fmt: str,
    strict: bool,
    jobs: int,
    output_file: str | None,
) -> None:
    """Validate ROS templates: syntax, sections, parameters, functions, references, resource types
    and resource properties against their schemas.

    Files may be given with -t or as arguments; a directory is searched for templates (files that
    mention ROSTemplateFormatVersion); glob patterns ("stacks/**/*.yml") are expanded.

    \b
    Exit status:
      0  no findings
      2  at least one error (or bad usage)
      4  only warnings (e.g. a retired resource type or property); 2 with --strict
    """
    arguments = list(templates) + list(paths)
    if not arguments:
        raise click.UsageError("give at least one template: ros validate -t FILE (or a directory or glob)")
    found = discover(arguments)
    if found.skipped:
        click.echo(
            f"ros validate: skipped {len(found.skipped)} .json/.yml file(s) in the directories given that do "
            "not mention ROSTemplateFormatVersion (name a file or a glob to check it anyway)",
            err=True,
        )
    workers = jobs or min(_usable_cpus(), 8)
    findings = validate_files(found.files, _parse_parameters(parameters) or None, jobs=workers)
    # An argument that matched nothing is an error *in the report*, so the CI artefact (JSON,
    # SARIF, JUnit) says why the step failed instead of being empty.
    findings = [_not_found(argument) for argument in found.missing] + findings
    report = render(findings, [*found.missing, *found.files], fmt)
    if output_file:
        with open(output_file, "w", encoding="utf-8") as handle:
            handle.write(report + "\n")
    else:
        click.echo(report)
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    if found.missing or any(f.severity in failing for f in findings):
        sys.exit(EXIT_ERRORS)
    if any(f.severity == Severity.WARNING for f in findings):
        sys.exit(EXIT_WARNINGS)
    sys.exit(EXIT_CLEAN)


def _not_found(argument: str) -> Finding:
    return Finding(
        rule_id=TEMPLATE_NOT_FOUND,
        severity=Severity.ERROR,
        file=argument,
        line=None,
        col=None,
        path="",
        message="no such file, or no template matched (a directory must hold files that mention "
        "ROSTemplateFormatVersion)",
    )


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # honours container CPU sets
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


COMMANDS = [validate]
