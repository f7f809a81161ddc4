"""``ros fc tasks``, ``ros fc metrics`` and ``ros fc trigger-event``: async tasks, per-function
metrics and test events for triggers, against the running FC backend (or ROS_FC_ENDPOINT)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from rosengine.cli.fc_target import fc3_client, parse_target
from rosengine.cli.output import emit, output_options, text_console

TASK_STATUSES = (
    "Enqueued",
    "Running",
    "Succeeded",
    "Failed",
    "Stopping",
    "Stopped",
    "Expired",
    "Invalid",
    "Retrying",
)


def _client() -> Any:
    from rosengine.clients.fc import FcApiError, FcClient

    try:
        client = FcClient.from_environment()
    except FcApiError as exc:
        raise click.ClickException(exc.message if hasattr(exc, "message") else str(exc)) from None
    click.get_current_context().call_on_close(client.close)  # the command's connections end with it
    return client


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from rosengine.clients.fc import FcApiError

    try:
        return fn(*args, **kwargs)
    except FcApiError as exc:
        raise click.ClickException(
            f"{getattr(exc, 'error_code', '')}: {getattr(exc, 'message', exc)}"
        ) from None


def _ms(value: Any) -> str:
    if not value:
        return "-"
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(value) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _tasks_table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table("ID", "Function", "Status", "Retried", "Started (UTC)", "Duration ms", "Error")
    for t in rows:
        table.add_row(
            t["invocationId"],
            t.get("name") or f"{t['serviceName']}/{t['functionName']}",
            t["status"],
            str(t.get("alreadyRetriedTimes", 0)),
            _ms(t.get("startedTime")),
            str(t.get("durationMs") or "-"),
            (t.get("invocationErrorMessage") or "")[:60],
        )
    text_console().print(table)


@click.command("tasks")
@click.argument("args", nargs=-1, required=True, metavar="FUNCTION | SERVICE/FUNCTION | stop ID")
@click.option("--status", type=click.Choice(TASK_STATUSES), default=None, help="Only tasks in this state.")
@click.option("--limit", type=click.IntRange(1, 100), default=50, show_default=True)
@click.option("--all", "include_plain", is_flag=True, help="Also list plain (non-task) async invocations.")
@output_options
def tasks(
    args: tuple[str, ...], status: str | None, limit: int, include_plain: bool, output: str, query: str | None
) -> None:
    """List async tasks of a function, or stop one: `ros fc tasks FUNCTION` (FC 3.0),
    `ros fc tasks SERVICE/FUNCTION` (FC 2.0), `ros fc tasks stop ID`."""
    client = _client()
    if args[0] == "stop":
        if len(args) != 2:
            raise click.UsageError("usage: ros fc tasks stop ID")
        data = _call(client.request, "PUT", f"/local/async-tasks/{args[1]}/stop").json()
        emit(data, output, query, lambda d: click.echo(f"task {args[1]}: {d.get('status', 'Stopped')}"))
        return
    if len(args) != 1:
        raise click.UsageError("usage: ros fc tasks FUNCTION|SERVICE/FUNCTION [--status S]")
    name = parse_target(args[0])[0].api_name
    params: dict[str, Any] = {"function": name, "limit": limit, "status": status}
    if include_plain:
        params["all"] = "true"
    rows = _call(fc3_client().local, "async-tasks", **params)["invocations"]
    emit(rows, output, query, _tasks_table)


def _metrics_table(data: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(
        "Function", "Invocations", "Errors", "Throttles", "Cold starts", "p50 ms", "p99 ms", "Instances"
    )
    for row in data["functions"]:
        instances = ", ".join(f"{k}={v}" for k, v in sorted(row["instances"].items())) or "-"
        table.add_row(
            row.get("name") or f"{row['service']}/{row['function']}",
            str(row["invocations"]),
            str(row["errors"]),
            str(row["throttles"]),
            str(row["coldStarts"]),
            "-" if row["p50Ms"] is None else f"{row['p50Ms']:.1f}",
            "-" if row["p99Ms"] is None else f"{row['p99Ms']:.1f}",
            instances,
        )
    console = text_console()
    console.print(table)
    if data.get("async"):
        console.print("async queue: " + ", ".join(f"{k}={v}" for k, v in sorted(data["async"].items())))


@click.command("metrics")
@click.argument("target", required=False, metavar="[FUNCTION|SERVICE[/FUNCTION]]")
@output_options
def metrics(target: str | None, output: str, query: str | None) -> None:
    """Per-function invocations, errors, throttles, cold starts, p50/p99 and instances by state,
    for both FC versions. TARGET: an FC 3.0 FUNCTION, or an FC 2.0 SERVICE[/FUNCTION]."""
    data = _call(fc3_client().local, "metrics")
    if target:
        data["functions"] = [
            r
            for r in data["functions"]
            if r["name"] == target or (r["fcVersion"] == "v2" and r["service"] == target)
        ]
    emit(data, output, query, _metrics_table)


@click.command("trigger-event")
@click.argument("target", metavar="FUNCTION/TRIGGER | SERVICE/FUNCTION/TRIGGER")
@click.option(
    "--event",
    "event_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Send this file's bytes instead of the sample event of the trigger's type.",
)
def trigger_event(target: str, event_file: Path | None) -> None:
    """Deliver a test event in the trigger's source shape and print the function's result."""
    fn, (trigger,) = parse_target(target, extra=1)
    body = event_file.read_bytes() if event_file else b""
    response = _call(fc3_client().trigger_event, fn.api_name, trigger, body)
    try:
        sent = json.loads(response.headers.get("x-fc-trigger-event", "{}"))
    except ValueError:
        sent = {}
    click.echo(
        f"sent an event of type {sent.get('type') or 'unknown'} ({sent.get('bytes', len(body))} bytes)",
        err=True,
    )
    click.echo(response.content.decode("utf-8", errors="replace"))
    if response.headers.get("x-fc-error-type"):
        raise click.ClickException(f"the function failed: {response.headers['x-fc-error-type']}")


COMMANDS = [tasks, metrics, trigger_event]
