"""``Fn::FormatTime`` — the current time as ``format`` or ``[format, TimeZone]`` (strftime fields).

The clock is ``ctx.now`` so tests and repeatable plans can pin it. Time zones are IANA names
via :mod:`zoneinfo` (``Asia/Shanghai``, ``UTC``); the default is UTC, as in ROS. An unknown
zone is an error naming it rather than a silent fallback to UTC.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import lru_cache
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, fail
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::FormatTime"
SHAPE = "a strftime format string or [format, TimeZone]"


@lru_cache(maxsize=64)
def _zone(name: str) -> dt.tzinfo:
    if name.upper() in ("UTC", "GMT", "Z"):
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise FunctionError(
            f"{NAME}: unknown time zone {name!r}; use an IANA name such as 'UTC' or 'Asia/Shanghai'",
            sub_path=(1,),
        ) from exc


def evaluate_format_time(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if isinstance(args, str):
        fmt, zone_name = args, "UTC"
    elif isinstance(args, list) and len(args) in (1, 2):
        fmt = args[0]
        zone_name = args[1] if len(args) == 2 and args[1] is not None else "UTC"
        if not isinstance(fmt, str):
            raise fail(NAME, "the format to be a string", fmt, (0,))
        if not isinstance(zone_name, str):
            raise fail(NAME, "the time zone to be a string", zone_name, (1,))
    else:
        raise fail(NAME, SHAPE, args)
    # strftime makes at most ~30 characters of a two-character field (%c, %A, %Z …)
    ctx.budget.produce_text(16 * len(fmt), NAME)
    now = ctx.now()
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    try:
        return now.astimezone(_zone(zone_name.strip() or "UTC")).strftime(fmt)
    except ValueError as exc:
        raise FunctionError(f"{NAME}: invalid format {fmt!r}: {exc}", sub_path=(0,)) from exc


define(NAME, evaluate_format_time, result_type="string")
