"""The ROS callbacks service on its real SQLite store: handle URLs, signals, custom-resource
responses, and the long polls that wait for them."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from fcbackend.roscallbacks.service import CallbackError, RosCallbacks
from fcbackend.store_factory import open_callback_store
from sqlstore import DatabaseSet

BASE = "http://127.0.0.1:9999"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[RosCallbacks]:
    databases = DatabaseSet(tmp_path)
    yield RosCallbacks(open_callback_store(databases))
    databases.close()


def _handle(service: RosCallbacks, **kwargs: object) -> dict[str, object]:
    params = {"stack_name": "demo", "stack_id": "sid-1", "logical_id": "Handle", "region": "cn-hangzhou"}
    params.update(kwargs)  # type: ignore[arg-type]
    return service.issue_handle(BASE, **params)  # type: ignore[arg-type]


def _query(url: object) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(str(url)).query).items()}


def _signal(service: RosCallbacks, url: object, body: object) -> object:
    return service.signal_from_url(_query(url), json.dumps(body).encode())


async def _until_waiting(service: RosCallbacks) -> None:
    """Until a long poll waits (it registered its wake-up event): what arrives then must wake it."""
    deadline = time.monotonic() + 5
    while not service._changed:
        assert time.monotonic() < deadline, "the long poll never started waiting"
        await asyncio.sleep(0)


def test_handle_attributes_have_ros_shape(service: RosCallbacks) -> None:
    attrs = _handle(service)
    url = str(attrs["URL"])
    assert url.startswith(f"{BASE}/waitcondition?stackname=demo&stackid=sid-1&resource=Handle&expire=")
    assert len(_query(url)["signature"]) == 40
    assert str(attrs["CurlCli"]).startswith("curl -i -X POST -H 'Content-Type: application/json'")
    assert "x-acs-region-id: cn-hangzhou" in str(attrs["CurlCli"])
    assert str(attrs["CurlCli"]).endswith(url.replace("&", "\\&"))
    assert f'"{url}"' in str(attrs["WindowsCurlCli"]) and f'-Uri "{url}"' in str(attrs["PowerShellCurlCli"])
    assert attrs["Headers"] == {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "x-acs-region-id": "cn-hangzhou",
    }


def test_signals_are_numbered_replaced_and_kept(service: RosCallbacks) -> None:
    url = _handle(service)["URL"]
    first = _signal(service, url, {"status": "SUCCESS", "data": "a"})
    second = _signal(service, url, {"status": "warning", "reason": "slow"})
    named = _signal(service, url, {"status": "SUCCESS", "id": "2", "data": "b"})
    assert (first.unique_id, second.unique_id, named.unique_id) == ("1", "2", "2")  # type: ignore[attr-defined]
    kept = service.store.signals("sid-1", "Handle")
    assert [(s.unique_id, s.status, s.data) for s in kept] == [("1", "SUCCESS", "a"), ("2", "SUCCESS", "b")]


@pytest.mark.parametrize(
    "body, code",
    [({"reason": "no status"}, "InvalidSignal"), ({"status": "DONE"}, "InvalidSignal"), ([1], "InvalidJSON")],
)
def test_malformed_signals_are_refused(service: RosCallbacks, body: object, code: str) -> None:
    url = _handle(service)["URL"]
    with pytest.raises(CallbackError) as caught:
        _signal(service, url, body)
    assert caught.value.status == 400 and caught.value.code == code
    assert service.store.signals("sid-1", "Handle") == []


def test_bad_signature_expired_url_and_unknown_handle(service: RosCallbacks) -> None:
    url = str(_handle(service)["URL"])
    query = _query(url)
    forged = {**query, "signature": "0" * 40}
    with pytest.raises(CallbackError) as caught:
        service.signal_from_url(forged, b'{"status": "SUCCESS"}')
    assert caught.value.status == 403 and "signature does not match" in caught.value.message
    moved = {**query, "resource": "Other"}  # the signature covers the resource too
    with pytest.raises(CallbackError):
        service.signal_from_url(moved, b'{"status": "SUCCESS"}')
    service.clock = lambda: time.time() + 8 * 24 * 3600
    with pytest.raises(CallbackError) as caught:
        service.signal_from_url(query, b'{"status": "SUCCESS"}')
    assert caught.value.code == "SignalURLExpired"
    service.clock = time.time
    service.delete_handle("sid-1", "Handle")
    with pytest.raises(CallbackError) as caught:
        service.signal_from_url(query, b'{"status": "SUCCESS"}')
    assert caught.value.status == 404


def test_a_finished_wait_refuses_late_signals_until_waited_on_again(service: RosCallbacks) -> None:
    url = _handle(service)["URL"]
    service.begin_wait("sid-1", "Handle")
    _signal(service, url, {"status": "SUCCESS"})
    service.end_wait("sid-1", "Handle", "SUCCESS for Wait")
    with pytest.raises(CallbackError) as caught:
        _signal(service, url, {"status": "SUCCESS"})
    assert caught.value.status == 409 and "has finished (SUCCESS for Wait)" in caught.value.message
    service.begin_wait("sid-1", "Handle")  # an update waits again
    _signal(service, url, {"status": "SUCCESS"})
    assert len(service.store.signals("sid-1", "Handle")) == 2


def test_update_prunes_signals_as_ros_does(service: RosCallbacks) -> None:
    url = _handle(service)["URL"]
    for _ in range(3):
        _signal(service, url, {"status": "SUCCESS"})
    _handle(service, mode="Full", count=1)
    assert [s.unique_id for s in service.store.signals("sid-1", "Handle")] == ["1"]
    _signal(service, url, {"status": "SUCCESS", "id": "abc"})
    with pytest.raises(CallbackError) as caught:
        _handle(service, mode="Full", count=0)
    assert "numeric signal ids" in caught.value.message
    _handle(service, mode="Increment")
    assert service.store.signals("sid-1", "Handle") == []


def test_long_poll_wakes_at_once_on_a_signal(service: RosCallbacks) -> None:
    url = _handle(service)["URL"]

    async def scenario() -> float:
        async def later() -> None:
            await _until_waiting(service)
            _signal(service, url, {"status": "SUCCESS"})

        task = asyncio.create_task(later())
        began = time.monotonic()
        found = await service.wait_signals("sid-1", "Handle", after=0, wait_s=10)
        elapsed = time.monotonic() - began
        await task
        assert [s["UniqueId"] for s in found["signals"]] == ["1"]
        return elapsed

    assert asyncio.run(scenario()) < 5  # woken by the signal, not by the 10 s timeout


def test_responses_are_checked_against_their_request(service: RosCallbacks) -> None:
    url = service.register_request(BASE, request_id="req-1", stack_id="sid-1", logical_id="Custom")
    token = url.rsplit("/", 1)[-1]
    assert url == f"{BASE}/ros-callback/{token}"
    cases = [
        ({"RequestId": "req-1"}, "has no Status"),
        ({"RequestId": "req-1", "Status": "OK"}, "Status 'OK'"),
        ({"RequestId": "other", "Status": "SUCCESS"}, "RequestId 'other' is not the request's"),
        ({"RequestId": "req-1", "Status": "SUCCESS", "StackId": "x"}, "StackId 'x'"),
        ({"RequestId": "req-1", "Status": "SUCCESS", "Data": [1]}, "Data must be a JSON object"),
    ]
    for body, message in cases:
        with pytest.raises(CallbackError) as caught:
            service.record_response(token, json.dumps(body).encode())
        assert caught.value.status == 400 and message in caught.value.message
    request = service.store.request_by_id("req-1")
    assert request is not None and request.response is None and len(request.refusals) == len(cases)
    good = {"RequestId": "req-1", "Status": "SUCCESS", "Data": {"z": 3}, "PhysicalResourceId": "p"}
    service.record_response(token, json.dumps(good).encode())
    with pytest.raises(CallbackError) as caught:
        service.record_response(token, json.dumps(good).encode())
    assert caught.value.status == 409
    found = asyncio.run(service.wait_response("req-1", 0, known_refusals=len(cases)))
    assert found["Response"]["Data"] == {"z": 3}
    service.forget_request("req-1")
    with pytest.raises(CallbackError) as caught:
        service.record_response(token, json.dumps(good).encode())
    assert caught.value.status == 404


def test_a_refusal_wakes_the_waiting_engine(service: RosCallbacks) -> None:
    url = service.register_request(BASE, request_id="req-2", stack_id="sid-1", logical_id="Custom")

    async def scenario() -> dict[str, object]:
        async def later() -> None:
            await _until_waiting(service)
            with pytest.raises(CallbackError):
                service.record_response(url.rsplit("/", 1)[-1], b'{"RequestId": "req-2"}')

        task = asyncio.create_task(later())
        found = await service.wait_response("req-2", 10)
        await task
        return found

    found = asyncio.run(scenario())
    assert found["Response"] is None and "has no Status" in str(found["Refusals"][-1])


def test_a_front_every_function_reaches_can_take_over_the_urls(service: RosCallbacks) -> None:
    service.set_public_base("http://127.9.8.7/")
    assert str(_handle(service)["URL"]).startswith("http://127.9.8.7/waitcondition?stackname=demo")
    url = service.register_request(BASE, request_id="req-3", stack_id="sid-1", logical_id="Custom")
    assert url.startswith("http://127.9.8.7/ros-callback/")
