"""``ros fc functions`` and ``ros fc triggers``: what the backend runs, FC 3.0 and FC 2.0 alike.

Functions are named as ``ros fc invoke`` takes them: ``fn`` (FC 3.0) and ``svc/fn`` (FC 2.0).
``triggers`` prints each trigger's HTTP URL, the address to curl.
"""

from __future__ import annotations

from typing import Any

import click

from rosengine.cli.fc_target import fc3_client, parse_target
from rosengine.cli.output import emit, output_options, text_console


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


def _call(fn: Any) -> Any:
    from rosengine.clients.fc import FcApiError

    try:
        return fn()
    except FcApiError as exc:
        raise click.ClickException(
            f"{exc.error_code}: {exc.message}" if exc.error_code else exc.message
        ) from exc


@click.command("functions")
@click.option(
    "--fc-version", type=click.Choice(["v2", "v3"]), default=None, help="Only functions of one FC version."
)
@output_options
def functions(fc_version: str | None, output: str, query: str | None) -> None:
    """List the functions of both FC versions: FUNCTION (3.0) and SERVICE/FUNCTION (2.0)."""
    fc3 = fc3_client(_echo_err)
    rows = [
        r for r in _call(lambda: fc3.local("functions")["functions"]) if fc_version in (None, r["fcVersion"])
    ]

    def text(items: list[dict[str, Any]]) -> None:
        from rich.table import Table

        table = Table("Function", "FC", "Runtime", "Handler", "Memory MB", "Timeout s", "Modified (UTC)")
        for r in items:
            table.add_row(
                r["name"],
                r["fcVersion"],
                str(r["runtime"]),
                str(r["handler"]),
                str(r["memorySize"]),
                str(r["timeout"]),
                str(r["lastModifiedTime"]),
            )
        text_console().print(table)

    emit(rows, output, query, text)


@click.command("triggers")
@click.argument("target", metavar="FUNCTION|SERVICE/FUNCTION")
@output_options
def triggers(target: str, output: str, query: str | None) -> None:
    """List a function's triggers, with the URL of each HTTP trigger."""
    name = parse_target(target)[0].api_name
    fc3 = fc3_client(_echo_err)
    rows = _call(lambda: fc3.local("triggers", function=name)["triggers"])

    def text(items: list[dict[str, Any]]) -> None:
        from rich.table import Table

        table = Table("Trigger", "Type", "Qualifier", "URL")
        for r in items:
            table.add_row(r["triggerName"], str(r["triggerType"]), str(r["qualifier"]), r["url"] or "-")
        text_console().print(table)

    emit(rows, output, query, text)


COMMANDS = [functions, triggers]
