"""What a function writes and returns is passed on within FC's limits, never buffered whole.

Reproducers of issue 17: a function printing about 1 MiB to stdout failed ("the instance closed
the connection unexpectedly": its log outgrew the header it travels in), and a function returning
900 MB grew the backend to 1.8 GiB. Now each request's log keeps its first and last 256 KiB with
a note of what was left out, and a response body over 32 MB is refused with 502 ``BadResponse``
as soon as that is known, the instance serving on.
"""

from __future__ import annotations

import json

import pytest

from tests.support.instances import (
    DRIVERS,
    make_spec,
    request,
    run,
    scheduler,
    write_code,
)

PRINTER = """
import sys

def handler(event, context):
    size = int(event)
    line = "x" * 1023 + "\\n"
    for _ in range(size // 1024):
        print(line, end="")
    sys.stdout.write("y" * (size % 1024))
    print("last line")
    return "done"
"""

MAX_RESPONSE_BODY = 32 * 1024 * 1024  # FC's sync payload limit, applied to the response too
RETURNER = """
def handler(event, context):
    size = int(event)
    return b"z" * size
"""


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("size", [1024 * 1024, 8 * 1024 * 1024 + 17])
def test_a_function_printing_megabytes_works_and_its_log_is_bounded(tmp_path, driver, size):
    code = write_code(tmp_path, {"index.py": PRINTER})
    spec = make_spec(code, timeout_s=30)

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            return await sched.invoke(spec, request(str(size).encode()))

    result = run(scenario)
    assert result.ok, result.body
    assert result.body == b"done"
    log = result.log
    assert log.startswith(b"FC Invoke Start RequestId:")
    assert b"last line\nFC Invoke End RequestId:" in log[-4096:]  # FC's 4 KB log tail is the end
    assert b"bytes of this request's output were left out here" in log
    assert len(log) < 600 * 1024


@pytest.mark.node
@pytest.mark.parametrize("driver", DRIVERS)
def test_a_node_function_printing_megabytes_works(tmp_path, driver):
    code = write_code(
        tmp_path,
        {
            "index.js": """
            exports.handler = (event, context, callback) => {
              const line = 'x'.repeat(1023);
              for (let i = 0; i < 2048; i++) console.log(line);
              console.log('last line');
              callback(null, 'done');
            };
            """
        },
    )
    spec = make_spec(code, runtime="nodejs18", timeout_s=30)

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            return await sched.invoke(spec, request(b"{}"))

    result = run(scenario)
    assert result.ok, result.body
    assert b"last line\nFC Invoke End RequestId:" in result.log[-4096:]
    assert b"left out here" in result.log and len(result.log) < 600 * 1024


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_response_over_the_limit_is_refused_and_the_instance_serves_on(tmp_path, driver):
    code = write_code(tmp_path, {"index.py": RETURNER})
    spec = make_spec(code, memory_mb=512, timeout_s=30)

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            big = await sched.invoke(spec, request(str(MAX_RESPONSE_BODY + 1).encode()))
            at_limit = await sched.invoke(spec, request(str(MAX_RESPONSE_BODY).encode()))
            small = await sched.invoke(spec, request(b"5"))
            return big, at_limit, small

    big, at_limit, small = run(scenario)
    assert big.status == 502 and big.error_code == "BadResponse"
    document = json.loads(big.body)
    assert str(MAX_RESPONSE_BODY) in document["ErrorMessage"]
    assert at_limit.ok and len(at_limit.body) == MAX_RESPONSE_BODY
    assert small.ok and small.body == b"zzzzz"
    assert small.instance_id == big.instance_id  # refused, not crashed: the same instance answered


CUSTOM_ENDLESS = """\
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        if body == b"endless":  # no Content-Length: the body runs until the connection closes
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"e" * 65536
            try:
                while True:
                    self.wfile.write(chunk)
            except OSError:
                return
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("FC_SERVER_PORT", "9000"))), Handler).serve_forever()
"""


@pytest.mark.parametrize("driver", DRIVERS)
def test_an_endless_response_body_is_cut_off_at_the_limit(tmp_path, driver):
    code = write_code(
        tmp_path, {"bootstrap": "#!/bin/sh\nexec python3 server.py\n", "server.py": CUSTOM_ENDLESS}
    )
    spec = make_spec(code, runtime="custom", handler="", timeout_s=60)

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            endless = await sched.invoke(spec, request(b"endless"))
            after = await sched.invoke(spec, request(b"hello"))
            return endless, after

    endless, after = run(scenario, timeout=120)
    assert endless.status == 502 and endless.error_code == "BadResponse"
    assert after.ok and after.body == b"ok"
