"""The instance registry's rows: each backend's instances replaced at every publication, the
other backends' recent ones listed, stale ones hidden then purged, withdrawn at stop."""

from __future__ import annotations

from pathlib import Path

from fcbackend.store.instance_registry import PURGE_AFTER_S, STALE_AFTER_S, InstanceRegistry
from sqlstore import SqliteDatabase


def test_backends_see_each_others_recent_instances(tmp_path: Path) -> None:
    path = tmp_path / "fc.db"
    a = InstanceRegistry(SqliteDatabase(path), "host-a:1")
    b = InstanceRegistry(SqliteDatabase(path), "host-b:2")
    a.publish([{"id": "i-1", "service": "svc", "function": "fn"}], now=100.0)
    b.publish([{"id": "i-2", "service": "svc", "function": "fn"}], now=100.0)
    assert [(r["id"], r["backend"]) for r in a.others(now=101.0)] == [("i-2", "host-b:2")]
    assert [(r["id"], r["backend"]) for r in b.others(now=101.0)] == [("i-1", "host-a:1")]
    b.publish([{"id": "i-3"}], now=102.0)  # i-2 stopped, i-3 started
    assert [r["id"] for r in a.others(now=103.0)] == ["i-3"]
    assert a.others(now=102.0 + STALE_AFTER_S + 1) == []  # b stopped publishing: hidden
    a.publish([], now=102.0 + PURGE_AFTER_S + 1)  # and purged by the next publication
    with a.database.reading() as session:
        assert session.execute("SELECT COUNT(*) FROM instance_registry").fetchone()[0] == 0
    b.publish([{"id": "i-4"}], now=500.0)
    b.withdraw()
    assert a.others(now=500.0) == []
    a.close()
    b.close()
