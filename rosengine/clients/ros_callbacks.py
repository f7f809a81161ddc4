"""``RosCallbacksClient``: how the engine's providers reach the backend's ROS callbacks service
(WaitConditionHandle URLs and signals, custom-resource response URLs and responses).

Why on top of :class:`~rosengine.clients.fc.FcClient`: the service lives in the same backend, behind
the same endpoint and signing (its control routes are ``/2016-08-15/local/ros-callbacks/...``), so
the client shares the FC client's connection pool and errors (``FcApiError`` with the service's
``Code`` and ``Message``). Waiting is a long poll the service answers the moment something arrives;
the client polls again until the caller's deadline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from rosengine.clients.fc import FcApiError, FcClient

_BASE = "/local/ros-callbacks"
POLL_S = 20.0  # one long poll (the service caps it at 25 s)


def _q(value: str) -> str:
    return quote(value, safe="")


@dataclass(frozen=True)
class ReceivedSignal:
    unique_id: str
    status: str  # SUCCESS | FAILURE | WARNING
    reason: str
    data: Any
    received: float
    seq: int

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> ReceivedSignal:
        return cls(
            str(item["UniqueId"]),
            str(item["Status"]),
            str(item.get("Reason") or ""),
            item.get("Data"),
            float(item.get("Received") or 0),
            int(item.get("Seq") or 0),
        )


@dataclass(frozen=True)
class SignalsState:
    signals: list[ReceivedSignal]
    gone: bool  # the handle was deleted

    @property
    def newest(self) -> int:
        return max((s.seq for s in self.signals), default=0)


@dataclass(frozen=True)
class ResponseState:
    response: dict[str, Any] | None
    refusals: list[str]


class RosCallbacksClient:
    def __init__(self, fc: FcClient):
        self.fc = fc

    def close(self) -> None:
        """Nothing of its own to release: the FC client it speaks through is closed by its owner."""

    @property
    def endpoint(self) -> str:
        return self.fc.endpoint

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.fc.request(method, path, **kwargs)
        data = response.json() if response.content else {}
        return data if isinstance(data, dict) else {}

    def _handle(self, stack_id: str, logical_id: str) -> str:
        return f"{_BASE}/handles/{_q(stack_id)}/{_q(logical_id)}"

    # -- handles --------------------------------------------------------------------------------
    def issue_handle(
        self, *, stack_name: str, stack_id: str, logical_id: str, region: str, mode: str, count: int
    ) -> dict[str, Any]:
        """The handle's attributes (URL, CurlCli, WindowsCurlCli, PowerShellCurlCli, Headers)."""
        body = {
            "StackName": stack_name,
            "StackId": stack_id,
            "LogicalResourceId": logical_id,
            "RegionId": region,
            "Mode": mode,
            "Count": count,
        }
        return self._json("POST", f"{_BASE}/handles", body=body)

    def delete_handle(self, stack_id: str, logical_id: str) -> None:
        self.fc.request("DELETE", self._handle(stack_id, logical_id))

    def signal(self, stack_id: str, logical_id: str, signal: dict[str, Any]) -> ReceivedSignal:
        """Record a signal as ROS's SignalResource does (``{"status", "reason", "data", "id"}``)."""
        raw = json.dumps(signal, ensure_ascii=False).encode("utf-8")
        data = self._json("POST", f"{self._handle(stack_id, logical_id)}/signals", raw=raw)
        return ReceivedSignal.from_api(data)

    def signals(self, stack_id: str, logical_id: str, *, after: int = 0, wait_s: float = 0.0) -> SignalsState:
        """The handle's signals, as soon as one newer than ``after`` arrives (or ``wait_s`` passes)."""
        data = self._json(
            "GET",
            f"{self._handle(stack_id, logical_id)}/signals",
            params={"after": after, "wait": round(max(min(wait_s, POLL_S), 0.0), 3)},
        )
        return SignalsState(
            [ReceivedSignal.from_api(s) for s in data.get("signals") or []], bool(data.get("gone"))
        )

    def begin_wait(self, stack_id: str, logical_id: str) -> None:
        self.fc.request("POST", f"{self._handle(stack_id, logical_id)}/wait-begin")

    def end_wait(self, stack_id: str, logical_id: str, outcome: str) -> None:
        self.fc.request("POST", f"{self._handle(stack_id, logical_id)}/wait-end", body={"Outcome": outcome})

    # -- custom-resource requests ----------------------------------------------------------------
    def register_request(self, *, request_id: str, stack_id: str, logical_id: str) -> str:
        """Expect a response to ``request_id``; returns the ResponseURL to send the handler."""
        body = {"RequestId": request_id, "StackId": stack_id, "LogicalResourceId": logical_id}
        return str(self._json("POST", f"{_BASE}/requests", body=body)["ResponseURL"])

    def response(self, request_id: str, *, wait_s: float = 0.0, known_refusals: int = 0) -> ResponseState:
        """The response (or the refusals so far) as soon as one arrives, or after ``wait_s``."""
        data = self._json(
            "GET",
            f"{_BASE}/requests/{_q(request_id)}",
            params={"wait": round(max(min(wait_s, POLL_S), 0.0), 3), "refusals": known_refusals},
        )
        return ResponseState(data.get("Response"), list(data.get("Refusals") or []))

    def forget_request(self, request_id: str) -> None:
        self.fc.request("DELETE", f"{_BASE}/requests/{_q(request_id)}")

    def post_local(self, url: str, body: bytes, *, timeout: float) -> tuple[int, bytes]:
        """POST a custom resource's request to a ``web:`` handler on this machine (the caller has
        checked the URL is local); returns (status, body). Unreachable: FcApiError."""
        try:
            response = httpx.post(
                url, content=body, headers={"content-type": "application/json"}, timeout=timeout
            )
        except httpx.HTTPError as exc:
            raise FcApiError(0, "HandlerUnreachable", f"cannot reach {url}: {exc}") from exc
        return response.status_code, response.content
