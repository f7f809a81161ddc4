"""The instance request the scheduler sends with its once-per-instance encoded x-fc-* head is, on
the wire, the same request as one built header by header
(docs/reference/fc-runtime.md#requests-to-an-instance)."""

from __future__ import annotations

from pathlib import Path

from fcbackend.instances.ca_client import encode_request
from fcbackend.instances.fc_contract import static_head
from fcbackend.scheduler import protocol
from tests.support.instances import make_spec, request


def parse(wire: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    head, _, body = wire.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = sorted(
        (name.lower(), value.strip()) for name, _, value in (line.partition(":") for line in lines[1:])
    )
    return lines[0], headers, body


def test_cached_head_gives_the_same_request_on_the_wire(tmp_path: Path):
    spec = make_spec(
        tmp_path,
        handler="index.handler",
        initializer="index.init",
        pre_stop_handler="index.bye\r\ninjected: 1",
    )  # a line break must not split a header
    req = request(b'{"k": 1}')
    req.retry_count = 2
    plain = encode_request(protocol.invocation_request(spec, req, "i-1"))
    cached = encode_request(
        protocol.invocation_request(spec, req, "i-1", static_head(spec, "/invoke", "i-1"))
    )
    assert parse(cached) == parse(plain)
    line, headers, body = parse(cached)
    assert line == "POST /invoke HTTP/1.1" and body == b'{"k": 1}'
    names = [name for name, _ in headers]
    assert len(names) == len(set(names)), "no header may be sent twice"
    assert ("x-fc-request-id", req.request_id) in headers and ("x-fc-retry-count", "2") in headers
    assert ("x-fc-instance-id", "i-1") in headers and ("x-fc-control-path", "/invoke") in headers
    assert "injected" not in names


def test_the_cached_head_holds_nothing_that_changes_per_request(tmp_path: Path):
    spec = make_spec(tmp_path)
    head = static_head(spec, "/invoke", "i-1").decode()
    assert "x-fc-request-id" not in head and "x-fc-retry-count" not in head
    assert head.endswith("\r\n") and "x-fc-function-handler: index.handler\r\n" in head
