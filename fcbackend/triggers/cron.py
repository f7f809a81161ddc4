"""Timer trigger schedules: FC's 6-field cron (``sec min hour dom month dow``) and ``@every``.

Why our own parser: FC's dialect has seconds first, ``?`` for "no specific value" and ``@every
5m``; common cron libraries use five fields. Evaluated in UTC
(docs/reference/fc-resource-types.md#trigger). Supported per field:
``*``, ``?``, numbers, ranges ``a-b``, steps ``*/n``, ``a/n``, ``a-b/n``, lists ``a,b``; month and
weekday names (JAN..DEC, SUN..SAT); weekday 0 or 7 = Sunday. When both day-of-month and
day-of-week are restricted a day matches if either does (classic cron). A ``CRON_TZ=`` prefix is
accepted and ignored with UTC semantics (our choice: FC documents no time-zone prefix for timers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_EVERY = re.compile(r"^@every\s+(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_MONTHS = {
    n: i + 1
    for i, n in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}
_DAYS = {n: i for i, n in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("second", 0, 59, {}),
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
_SEARCH_LIMIT = timedelta(days=366 * 5)


class CronError(ValueError):
    """An expression that is not a valid timer schedule; the message says which part and why."""


@dataclass(frozen=True)
class Schedule:
    expression: str
    every_s: float | None = None
    fields: tuple[frozenset[int], ...] = ()
    dom_any: bool = True
    dow_any: bool = True

    def next_after(self, epoch: float) -> float | None:
        """The first firing time strictly after ``epoch`` (None if there is none in 5 years)."""
        if self.every_s is not None:
            # @every ticks are aligned to the epoch, so restarts keep the same rhythm
            return (int(epoch // self.every_s) + 1) * self.every_s
        seconds, minutes, hours, doms, months, dows = self.fields
        start = datetime.fromtimestamp(int(epoch) + 1, UTC)
        limit = start + _SEARCH_LIMIT
        t = start
        while t < limit:
            if t.month not in months:
                t = (t.replace(day=1, hour=0, minute=0, second=0) + timedelta(days=32)).replace(day=1)
                continue
            if not self._day_matches(t, doms, dows):
                t = t.replace(hour=0, minute=0, second=0) + timedelta(days=1)
                continue
            if t.hour not in hours:
                t = t.replace(minute=0, second=0) + timedelta(hours=1)
                continue
            if t.minute not in minutes:
                t = t.replace(second=0) + timedelta(minutes=1)
                continue
            if t.second not in seconds:
                t += timedelta(seconds=1)
                continue
            return t.timestamp()
        return None

    def _day_matches(self, t: datetime, doms: frozenset[int], dows: frozenset[int]) -> bool:
        dom_ok = t.day in doms
        dow_ok = (t.isoweekday() % 7) in dows
        if self.dom_any and self.dow_any:
            return True
        if self.dom_any:
            return dow_ok
        if self.dow_any:
            return dom_ok
        return dom_ok or dow_ok


def parse_schedule(expression: str) -> Schedule:
    text = expression.strip()
    if text.upper().startswith("CRON_TZ="):
        _, _, text = text.partition(" ")
        text = text.strip()
    if text.startswith("@every"):
        match = _EVERY.match(text)
        if not match or not any(match.groups()):
            raise CronError(f"{expression!r}: expected '@every <n>h<n>m<n>s', e.g. '@every 5m'")
        h, m, s = (int(g or 0) for g in match.groups())
        total = h * 3600 + m * 60 + s
        if total < 1:
            raise CronError(f"{expression!r}: the interval must be at least 1 second")
        return Schedule(expression, every_s=float(total))
    parts = text.split()
    if len(parts) != 6:
        raise CronError(
            f"{expression!r}: expected 6 fields 'second minute hour day-of-month month "
            f"day-of-week' (e.g. '0 0/5 * * * *') or '@every 5m', got {len(parts)} fields"
        )
    fields = []
    for part, (name, low, high, names) in zip(parts, _FIELDS, strict=True):
        fields.append(_parse_field(part, name, low, high, names, expression))
    dows = frozenset(d % 7 for d in fields[5])
    return Schedule(
        expression, fields=(*fields[:5], dows), dom_any=parts[3] in ("*", "?"), dow_any=parts[5] in ("*", "?")
    )


def _parse_field(
    text: str, name: str, low: int, high: int, names: dict[str, int], expression: str
) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{expression!r}: {name} step {step_text!r} must be a positive number")
            step = int(step_text)
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            start, end = (
                _value(a, name, low, high, names, expression),
                _value(b, name, low, high, names, expression),
            )
            if start > end:
                raise CronError(f"{expression!r}: {name} range {base!r} runs backwards")
        else:
            start = _value(base, name, low, high, names, expression)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _value(text: str, name: str, low: int, high: int, names: dict[str, int], expression: str) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise CronError(
            f"{expression!r}: {name} value {text!r} is not a number"
            + (f" or a name ({', '.join(names)})" if names else "")
        )
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{expression!r}: {name} value {value} is outside {low}-{high}")
    return value
