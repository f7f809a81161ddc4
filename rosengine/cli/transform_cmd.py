"""``ros transform -t template.yml``: print the plain ROS template a Transform expands to.

What ``ros stack create`` would deploy, without deploying it. Errors are printed as
``file:line:col path: code: message`` at the lines of the file as written (exit 2); warnings
(code that is not there yet) go to stderr and do not change the exit status.
"""

from __future__ import annotations

import sys

import click

from rosengine.errors import TemplateErrors
from rosengine.template import load_template
from rosengine.transform.render import render

EXIT_USAGE = 2


@click.command("transform")
@click.option(
    "-t", "--template-file", "template_file", required=True, type=click.Path(exists=True, dir_okay=False)
)
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Choice(["yaml", "json"]),
    default=None,
    help="Format of the processed template [default: the template's own].",
)
def transform(template_file: str, output: str | None) -> None:
    """Expand a template's Transform (Aliyun::Serverless-2018-04-03) into plain ROS and print it.

    A template without a Transform is printed as it is (its processed form is itself)."""
    try:
        template = load_template(_read(template_file), filename=template_file)
    except TemplateErrors as exc:
        for error in exc.errors:
            click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_USAGE)
    for warning in template.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(render(template.data, output or template.format), nl=False)


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


COMMANDS = [transform]
