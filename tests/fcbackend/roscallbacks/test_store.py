"""The ROS callback store on the shared database layer (SQLite, and PostgreSQL where the multinode
tests run): what an update of a handle keeps, how waiters are counted, how signals are replaced
and numbered, and the signing key across restarts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fcbackend.roscallbacks.store import CallbackStore, Handle, PendingRequest, Signal
from fcbackend.store_factory import open_callback_store
from sqlstore import DatabaseSet


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.multinode)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CallbackStore]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    databases = DatabaseSet(tmp_path, url)
    yield open_callback_store(databases)
    databases.close()


def test_updating_a_handle_keeps_its_waiters_and_finished_note(store: CallbackStore) -> None:
    store.put_handle(Handle("sid", "H", "demo", "cn-hangzhou", "Full", 1, 100))
    store.set_waiting("sid", "H", +1, "")
    store.set_waiting("sid", "H", -1, "timed out")
    store.set_waiting("sid", "H", -1, "timed out")  # never below zero
    store.put_handle(Handle("sid", "H", "demo", "cn-beijing", "Increment", 3, 200))
    assert store.get_handle("sid", "H") == Handle(
        "sid", "H", "demo", "cn-beijing", "Increment", 3, 200, waiters=0, finished="timed out"
    )
    store.set_waiting("sid", "H", +2, "")
    handle = store.get_handle("sid", "H")
    assert handle is not None and handle.waiters == 2 and handle.finished == ""


def test_a_signal_with_the_same_id_replaces_the_old_one_in_its_place(store: CallbackStore) -> None:
    first = store.put_signal("sid", "H", Signal("a", "SUCCESS", "one", {"n": 1}, 1.0))
    second = store.put_signal("sid", "H", Signal("b", "FAILURE", "two", None, 2.0))
    again = store.put_signal("sid", "H", Signal("a", "WARNING", "three", [3], 3.0))
    assert (first.seq, second.seq, again.seq) == (1, 2, 1)
    assert [(s.unique_id, s.status, s.data) for s in store.signals("sid", "H")] == [
        ("a", "WARNING", [3]),
        ("b", "FAILURE", None),
    ]
    store.delete_signals("sid", "H", ["a"])
    assert [s.unique_id for s in store.signals("sid", "H")] == ["b"]
    store.put_handle(Handle("sid", "H", "demo", "cn-hangzhou", "Full", 1, 100))
    store.delete_handle("sid", "H")
    assert store.get_handle("sid", "H") is None and store.signals("sid", "H") == []


def test_requests_keep_their_last_ten_refusals_and_a_response(store: CallbackStore) -> None:
    store.add_request(PendingRequest("req", "tok", "sid", "Custom", 5.0))
    for n in range(12):
        store.add_refusal("req", f"refusal {n}")
    store.add_refusal("unknown", "ignored")
    store.set_response("req", {"Status": "SUCCESS"})
    request = store.request_by_id("req")
    assert request is not None and request == store.request_by_token("tok")
    assert request.refusals == [f"refusal {n}" for n in range(2, 12)]
    assert request.response == {"Status": "SUCCESS"}
    store.delete_request("req")
    assert store.request_by_id("req") is None


def test_the_signing_key_is_made_once_and_kept_across_restarts(tmp_path: Path) -> None:
    first = DatabaseSet(tmp_path)
    secret = open_callback_store(first).secret()
    first.close()
    again = DatabaseSet(tmp_path)
    assert open_callback_store(again).secret() == secret and len(secret) == 32
    again.close()
    assert (tmp_path / "ros-callbacks.db").exists()
