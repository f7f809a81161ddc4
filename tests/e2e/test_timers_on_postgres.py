"""Timer triggers with two real backends on one PostgreSQL database: each tick fires once in all,
and when the leading backend loses its database session (and so the timers' advisory lock)
while it is paused, the other takes the lead; the old leader, back, notices and fires no more."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import psycopg
import pytest

from fcbackend.triggers.timer_state import LEADER_LOCK
from sqlstore.postgres import lock_key
from tests.support.pg_backends import Backend, backends
from tests.support.waiting import until

__all__ = ["backends"]  # the fixture

pytestmark = [pytest.mark.multinode, pytest.mark.timeout(240)]

# The function appends the tick it was fired for to a file both backends' instances can reach.
TIMER_HANDLER = (
    "import json, os\n\n"
    "def handler(event, context):\n"
    "    fired = json.loads(event)['triggerTime']\n"
    "    with open(os.environ['FIRED_LOG'], 'a') as log:\n"
    "        log.write(fired + '\\n')\n"
    "    return fired\n"
)


def _timer_function(backend: Backend, code_dir: Path, fired_log: Path) -> None:
    code_dir.mkdir()
    (code_dir / "index.py").write_text(TIMER_HANDLER)
    fired_log.touch()
    client = backend.client()
    client.create_service("svc")
    client.create_function(
        "svc", "fn", "python3", "index.handler", codeDir=str(code_dir),
        environmentVariables={"FIRED_LOG": str(fired_log)},
    )  # fmt: skip
    client.create_trigger(
        "svc", "fn", "every-second", "timer", {"cronExpression": "@every 1s", "enable": True}, None, None
    )


def _ticks(fired_log: Path) -> list[str]:
    return fired_log.read_text().split()


def _leaders(url: str) -> list[str]:
    """The application names of the sessions holding the timers' advisory lock."""
    key = lock_key(LEADER_LOCK)
    high, low = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s "
            "AND l.objsubid = 1",
            (high, low),
        ).fetchall()
    return [name for (name,) in rows]


def _fired_once_each(ticks: list[str]) -> None:
    twice = {tick: n for tick, n in Counter(ticks).items() if n > 1}
    assert not twice, f"ticks fired more than once: {twice}"


def test_a_timer_fires_each_tick_once_across_two_backends(
    backends: tuple[Backend, Backend, str], tmp_path: Path
) -> None:
    first, second, url = backends
    fired_log = tmp_path / "fired.log"
    _timer_function(second, tmp_path / "code", fired_log)
    until(lambda: len(_ticks(fired_log)) >= 6, 60, "six ticks to fire")
    ticks = _ticks(fired_log)
    _fired_once_each(ticks)
    assert len(_leaders(url)) == 1 and _leaders(url)[0] in (first.name, second.name)


def test_a_leader_that_lost_its_session_while_paused_stops_and_the_other_leads(
    backends: tuple[Backend, Backend, str], tmp_path: Path
) -> None:
    """The split: the leader is paused, its database session is ended (pg_terminate_backend:
    the server frees its advisory lock), the other backend takes the lock; the old leader then
    resumes still believing it leads. The advisory lock decides: it looks again before its
    next firing, finds the lock taken, and stops; no tick fires twice at any point."""
    first, second, url = backends
    by_name = {first.name: first, second.name: second}
    fired_log = tmp_path / "fired.log"
    _timer_function(first, tmp_path / "code", fired_log)
    until(lambda: len(_ticks(fired_log)) >= 3, 60, "three ticks to fire")
    (old_name,) = _leaders(url)
    old = by_name[old_name]
    (new_name,) = set(by_name) - {old_name}
    old.pause()
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            ended = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                (old_name,),
            ).fetchall()
        assert ended and all(ok for (ok,) in ended)
        until(lambda: _leaders(url) == [new_name], 30, "the other backend to take the lead")
        before = len(_ticks(fired_log))
        until(lambda: len(_ticks(fired_log)) >= before + 2, 30, "the new leader to fire")
    finally:
        old.resume()
    resumed_at = len(_ticks(fired_log))
    until(
        lambda: len(_ticks(fired_log)) >= resumed_at + 4, 30, "four more ticks after the old leader resumed"
    )
    assert _leaders(url) == [new_name]  # the old leader asked again and did not get the lock
    ticks = _ticks(fired_log)
    _fired_once_each(ticks)
    assert len(ticks) >= 9
