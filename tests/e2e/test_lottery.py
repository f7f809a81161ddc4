"""The lottery stack through the real CLI: create (backend started on demand), update draws
again, direct invoke, delete removes everything from the backend."""

from __future__ import annotations

import re

from tests.e2e.conftest import Ros

PERSONS = ("小明", "王五", "张三")
WINNER = re.compile(r"恭喜(\S+?)中奖")


def _draw_invocations(ros: Ros) -> list[dict]:
    rows = ros.json("fc", "invocations", "lottery-lottery/draw", "-n", "100")
    return [r for r in rows if r["serviceName"] == "lottery-lottery" and r["functionName"] == "draw"]


def test_lottery_create_update_invoke_delete(ros: Ros):
    assert ros.run("validate", "-t", "templates/lottery.json").returncode == 0

    created = ros.run("stack", "create", "-t", "templates/lottery.json", "-p", "Persons=小明,王五,张三")
    assert "Started the local FC backend" in created.stdout + created.stderr
    match = WINNER.search(created.stdout)
    assert match and match.group(1) in PERSONS, created.stdout
    assert ros.outputs("lottery")["Result"] == f"恭喜{match.group(1)}中奖"
    assert len(_draw_invocations(ros)) == 1

    updated = ros.run("stack", "update", "-n", "lottery", "-p", "ExecuteVersion=1")
    match = WINNER.search(updated.stdout)
    assert match and match.group(1) in PERSONS, updated.stdout
    assert len(_draw_invocations(ros)) == 2

    # The output follows the new invocation: with one person left, only they can win.
    ros.run("stack", "update", "-n", "lottery", "-p", "ExecuteVersion=2", "-p", "Persons=赵六")
    assert ros.outputs("lottery")["Result"] == "恭喜赵六中奖"
    assert len(_draw_invocations(ros)) == 3

    # Same ExecuteVersion: no new draw.
    ros.run("stack", "update", "-n", "lottery", "-p", "Persons=小明")
    assert len(_draw_invocations(ros)) == 3
    assert ros.outputs("lottery")["Result"] == "恭喜赵六中奖"

    invoked = ros.run("fc", "invoke", "lottery-lottery/draw", "-e", "钱七")
    assert "钱七" in invoked.stdout

    ros.run("stack", "delete", "-n", "lottery")
    with ros.fc_client() as fc:
        assert [s for s in fc.list_services() if s["serviceName"] == "lottery-lottery"] == []
