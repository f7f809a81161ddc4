"""Stacks as text for a person (rich): the live progress table of a terminal, a stack's summary,
tables of rows.

Its own module so that the stack commands load rich only to print text, not for JSON or YAML
output nor for the one-line progress written when the output is not a terminal.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from rosengine.cli.output import text_console
from rosengine.state.models import EventRecord
from rosengine.state.statuses import STACK_TYPE, STATE_CHANGED


class LiveProgress:
    """A rich table redrawn as events arrive: one row per resource, its status and elapsed time."""

    def __init__(self, console: Console):
        self.console = console
        self.rows: dict[str, dict[str, Any]] = {}
        self.stack_line = ""
        self._live: Live | None = None

    def on_event(self, event: EventRecord) -> None:
        if event.type == STACK_TYPE:
            self.stack_line = f"{event.logical_id}: {event.status}  {event.reason}"
        else:
            row = self.rows.setdefault(
                event.logical_id, {"type": event.type, "start": time.monotonic(), "end": None}
            )
            if event.status.in_progress:
                row["start"], row["end"] = time.monotonic(), None
            else:
                row["end"] = time.monotonic()
            row["status"], row["reason"] = (
                event.status,
                event.reason if event.reason != STATE_CHANGED else "",
            )
        if self._live is not None:
            self._live.update(self._table())

    def _table(self) -> Table:
        table = Table(title=self.stack_line or None, expand=False)
        for column in ("Resource", "Type", "Status", "Elapsed", "Reason"):
            table.add_column(column)
        now = time.monotonic()
        for logical_id, row in self.rows.items():
            elapsed = (row["end"] or now) - row["start"]
            status = row.get("status", "")
            style = (
                "red" if status.endswith("FAILED") else "green" if status.endswith("COMPLETE") else "yellow"
            )
            table.add_row(
                logical_id, row["type"], Text(status, style=style), f"{elapsed:.1f}s", row.get("reason", "")
            )
        return table

    @contextmanager
    def running(self) -> Iterator[None]:
        with Live(
            self._table(), console=self.console, refresh_per_second=4, get_renderable=self._table
        ) as live:
            self._live = live
            try:
                yield
            finally:
                self._live = None


def print_stack(data: dict[str, Any]) -> None:
    """A stack's fields, then its parameters and outputs as tables."""
    console = text_console()
    table = Table(show_header=False, box=None)
    for key in (
        "StackName",
        "StackId",
        "Status",
        "StatusReason",
        "Description",
        "CreateTime",
        "UpdateTime",
        "TimeoutInMinutes",
        "DisableRollback",
        "ParentStackId",
        "RootStackId",
    ):
        if key in data and data[key] not in ("", None):
            table.add_row(Text(key, style="bold"), str(data[key]))
    held = data.get("Placeholders")
    if held:
        listed = ", ".join(f"{r['LogicalResourceId']} ({r['ResourceType']})" for r in held["Resources"])
        table.add_row(Text("Placeholders", style="bold yellow"), f"{held['Count']}: {listed}")
    console.print(table)
    params = [p for p in data.get("Parameters", []) if not str(p["ParameterKey"]).startswith("ALIYUN::")]
    if params:
        console.print(_kv_table("Parameters", params, ("ParameterKey", "ParameterValue")))
    if data.get("Outputs"):
        console.print(_kv_table("Outputs", data["Outputs"], ("OutputKey", "OutputValue", "Description")))


def print_rows(data: Any, keys: Sequence[str], title: str | None) -> None:
    """``data`` (a row or a list of rows) as a table of the columns ``keys``; "(none)" for none."""
    rows = data if isinstance(data, list) else [data]
    text_console().print(_kv_table(title or "", rows, keys) if rows else "(none)")


def _kv_table(title: str, rows: list[dict[str, Any]], keys: Sequence[str]) -> Table:
    table = Table(title=title)
    for key in keys:
        table.add_column(key)
    for row in rows:
        table.add_row(*[_cell(row.get(k, "")) for k in keys])
    return table


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
