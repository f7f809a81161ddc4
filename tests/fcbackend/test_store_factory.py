"""The backend's stores open on the shared layer, and a state directory written by the code before
it (tests/data/legacy_stores: FC metadata and invocation log, async queue, timers, RAM/STS, SLS,
ROS callbacks, API Gateway routes, NAS) opens with everything it held, its tables adopted by the
ledger."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from fcbackend.apigateway.store import Api, Group
from fcbackend.asyncq.records import TaskStatus
from fcbackend.backend_config import BackendConfig
from fcbackend.nas.service import NasService
from fcbackend.roscallbacks.store import Handle, PendingRequest, Signal
from fcbackend.store.metadata import CodeBlob
from fcbackend.store_factory import (
    backend_databases,
    open_apigateway_store,
    open_async_queue,
    open_callback_store,
    open_invocation_log,
    open_metadata_store,
    open_nas_store,
    open_ram_store,
    open_sls_store,
    open_timer_state,
)
from sqlstore import DatabaseSet
from tests.support.paths import REPO

LEGACY = REPO / "tests" / "data" / "legacy_stores"


@pytest.fixture
def legacy_state(tmp_path: Path) -> Path:
    state = tmp_path / "fc"
    state.mkdir()
    for name in ("fc.db", "async.db", "timers.db", "ram.db", "sls.db"):
        shutil.copy(LEGACY / name, state / name)
    return state


def _ledger(path: Path) -> list[tuple[str, int]]:
    conn = sqlite3.connect(path)
    try:
        return [
            (s, v) for s, v in conn.execute("SELECT store, version FROM schema_migrations ORDER BY store")
        ]
    finally:
        conn.close()


def test_a_legacy_state_directory_opens_with_everything_it_held(legacy_state: Path) -> None:
    databases = backend_databases(BackendConfig(state_dir=legacy_state))
    meta = open_metadata_store(databases)
    assert meta.get("service", "", "svc") == {"serviceName": "svc", "description": "legacy"}
    assert [name for _, name, _ in meta.list("version", "svc")] == ["1"]
    assert meta.next_id("version:svc") == 3  # the counter carries on, never reusing an id
    assert meta.get_blob("ab" * 32) == CodeBlob("ab" * 32, "123", 42)

    records = open_invocation_log(databases).recent("svc", "fn")
    assert [r.request_id for r in records] == ["req-2", "req-1", "req-0"]
    assert records[0].duration_ms == 3.5 and records[0].cold is False

    queue = open_async_queue(databases)
    done = queue.get("task-done")
    assert done is not None and done.status is TaskStatus.SUCCEEDED and done.return_payload == b"ok"
    assert [e["status"] for e in done.events] == ["Enqueued", "Running", "Succeeded"]
    assert queue.deliveries("task-done")[0]["payload"] == {"x": 1}
    assert queue.recover(1_700_000_100.0) == 1  # the one Running at the "crash" runs again
    assert queue.counts() == {"Enqueued": 2, "Succeeded": 1}

    timers = open_timer_state(databases)
    assert timers.get("svc/fn/every-minute") == 1_700_000_040.0

    ram = open_ram_store(databases)
    assert ram.get("user", "alice") == {"UserName": "Alice", "UserId": "200"}
    assert ram.list("policy", "custom/") == [{"PolicyName": "ReadOnly"}]
    assert ram.purge_expired("session", 1_700_000_001.0) == 1  # the expiry column came along

    sls = open_sls_store(databases)
    assert sls.get_logstore("proj", "store") == {"logstoreName": "store", "ttl": 30}
    assert sls.get_index("proj", "store") == {"line": {"token": [","]}}
    [log] = list(sls.scan_logs("proj", "store", 0, 2_000_000_000, topic="t", newest_first=False))
    assert log.entry.fields == (("level", "INFO"), ("msg", "hello"))
    databases.close()

    assert _ledger(legacy_state / "fc.db") == [("fc.invocation_log", 1), ("fc.metadata", 1)]
    assert _ledger(legacy_state / "async.db") == [("fc.async_queue", 1)]
    assert _ledger(legacy_state / "timers.db") == [("fc.timers", 1)]
    assert _ledger(legacy_state / "ram.db") == [("ram", 1)]
    assert _ledger(legacy_state / "sls.db") == [("sls", 1)]


def test_callbacks_gateway_and_nas_files_of_earlier_releases_keep_their_rows(tmp_path: Path) -> None:
    for name in ("ros-callbacks.db", "apigateway.db", "nas.db"):
        shutil.copy(LEGACY / name, tmp_path / name)
    databases = backend_databases(BackendConfig(state_dir=tmp_path))

    callbacks = open_callback_store(databases)
    conn = sqlite3.connect(LEGACY / "ros-callbacks.db")
    [(kept_secret,)] = conn.execute("SELECT value FROM meta WHERE key = 'secret'").fetchall()
    conn.close()
    assert callbacks.secret() == bytes.fromhex(kept_secret)  # handle URLs out there stay valid
    handle = callbacks.get_handle("sid-1", "Handle")
    assert handle is not None and (handle.stack_name, handle.count, handle.waiters) == ("demo", 1, 1)
    assert callbacks.signals("sid-1", "Handle") == [
        Signal("u1", "SUCCESS", "done", {"k": "v"}, 1_700_000_000.0, 1)
    ]
    response = {"Status": "SUCCESS", "Data": {"x": 1}}
    assert callbacks.request_by_token("tok-1") == PendingRequest(
        "req-1", "tok-1", "sid-1", "Custom", 1_700_000_001.0, response, ["no Status"]
    )
    stored = callbacks.put_signal("sid-1", "Handle", Signal("u2", "SUCCESS", "", None, 1_700_000_002.0))
    assert stored.seq == 2  # numbering carries on

    routes = open_apigateway_store(databases)
    group = Group("grp-1", "shop", "grp-1.apigateway.local")
    assert routes.group_by_domain("grp-1.apigateway.local") == group
    assert routes.deployed_apis("grp-1", "RELEASE") == [
        Api("api-1", "grp-1", "items", "GET", "/items/[id]", "svc", "fn", "LATEST")
    ]

    nas = NasService(tmp_path, open_nas_store(databases))
    [file_system] = nas.list()
    assert file_system["Properties"] == {"ProtocolType": "NFS", "StorageType": "Capacity"}
    databases.close()

    assert _ledger(tmp_path / "ros-callbacks.db") == [("ros_callbacks", 1)]
    assert _ledger(tmp_path / "apigateway.db") == [("apigateway", 1)]
    assert _ledger(tmp_path / "nas.db") == [("nas", 1)]


def test_the_older_invocations_table_is_carried_over(tmp_path: Path) -> None:
    shutil.copy(LEGACY / "fc-invocations.db", tmp_path / "fc.db")
    databases = DatabaseSet(tmp_path)
    records = open_invocation_log(databases).recent()
    assert [r.request_id for r in records] == ["old-2", "old-1", "old-0"]
    assert open_metadata_store(databases).get("service", "", "svc") == {"serviceName": "svc"}
    databases.close()
    conn = sqlite3.connect(tmp_path / "fc.db")
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert "invocations" not in tables


def test_one_database_url_holds_every_store(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'everything.db'}"
    databases = backend_databases(BackendConfig(state_dir=tmp_path / "state", database_url=url))
    open_metadata_store(databases).put("service", "", "a", {"serviceName": "a"})
    open_async_queue(databases)
    open_timer_state(databases).set("k", 1.0)
    open_invocation_log(databases)
    open_ram_store(databases)
    open_sls_store(databases)
    open_callback_store(databases).put_handle(Handle("sid", "H", "demo", "cn-hangzhou", "Full", 1, 0))
    open_apigateway_store(databases).put_group(Group("grp", "shop", "grp.local"))
    open_nas_store(databases)
    databases.close()
    assert _ledger(tmp_path / "everything.db") == [
        ("apigateway", 1),
        ("fc.async_queue", 1),
        ("fc.invocation_log", 1),
        ("fc.metadata", 1),
        ("fc.timers", 1),
        ("nas", 1),
        ("ram", 1),
        ("ros_callbacks", 1),
        ("sls", 1),
    ]
    assert not (tmp_path / "state" / "fc.db").exists()


def test_metadata_documents_counters_and_transactions(tmp_path: Path) -> None:
    databases = DatabaseSet(tmp_path)
    meta = open_metadata_store(databases)
    assert meta.insert("function", "svc", "f", {"v": 1})
    assert not meta.insert("function", "svc", "f", {"v": 2})  # taken: nothing written
    meta.put("function", "svc", "f", {"v": 3})
    assert meta.get("function", "svc", "f") == {"v": 3}
    with pytest.raises(RuntimeError), meta.transaction():
        meta.put("function", "svc", "g", {"v": 1})
        assert meta.next_id("c") == 1
        raise RuntimeError("roll back")
    assert meta.get("function", "svc", "g") is None and meta.next_id("c") == 1
    assert meta.count("function", "svc") == 1
    assert meta.delete_scope("function", "svc") == 1
    databases.close()


def test_closing_one_store_leaves_the_others_on_a_shared_database_working(tmp_path: Path) -> None:
    databases = backend_databases(
        BackendConfig(state_dir=tmp_path / "state", database_url=f"sqlite://{tmp_path / 'one.db'}")
    )
    meta, queue = open_metadata_store(databases), open_async_queue(databases)
    queue.close()
    meta.put("service", "", "a", {"serviceName": "a"})
    assert meta.get("service", "", "a") == {"serviceName": "a"}
    databases.close()
