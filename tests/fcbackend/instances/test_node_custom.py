"""Node.js handlers (callback and async) and custom runtimes (an HTTP server on port 9000)."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.support.instances import (
    DRIVERS,
    error_doc,
    make_spec,
    request,
    requires_bwrap,
    requires_node,
    run,
    scheduler,
    write_code,
)

NODE_CODE = {
    "index.js": """
        exports.callback = function (event, context, callback) {
          console.log('callback got', event.length, 'bytes');
          callback(null, { isBuffer: Buffer.isBuffer(event), text: event.toString(), rid: context.requestId,
                           fn: context.function.name, key: context.credentials.accessKeyId });
        };
        exports.asyncHandler = async (event, context) => 'async:' + event.toString();
        exports.handled = (event, context, callback) => callback(new Error('told you'));
        exports.thrown = async () => { throw new TypeError('exploded'); };
        let count = 0;
        exports.init = (context, callback) => { count = 10; callback(null, ''); };
        exports.counter = async () => ++count;
    """,
}


@requires_node
@pytest.mark.parametrize("driver", DRIVERS)
def test_node_callback_and_async_handlers(tmp_path, driver):
    code = write_code(tmp_path, NODE_CODE)

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            results = {}
            for name in ("callback", "asyncHandler", "handled", "thrown"):
                results[name] = await sched.invoke(
                    make_spec(code, runtime="nodejs18", handler=f"index.{name}"), request(b"abc")
                )
            counter = make_spec(code, runtime="nodejs20", handler="index.counter", initializer="index.init")
            results["counter"] = [await sched.invoke(counter, request()) for _ in range(2)]
            return results

    results = run(scenario)
    doc = json.loads(results["callback"].body)
    assert doc["isBuffer"] is True and doc["text"] == "abc" and doc["key"] == "AKID"
    assert doc["rid"] == results["callback"].request_id
    assert "callback got 3 bytes" in results["callback"].log.decode()
    assert results["callback"].log.decode().startswith("FC Invoke Start RequestId:")
    assert results["asyncHandler"].body == b"async:abc"
    assert results["handled"].error_type == "HandledInvocationError"
    assert error_doc(results["handled"])["errorMessage"] == "told you"
    assert results["thrown"].error_type == "UnhandledInvocationError"
    assert error_doc(results["thrown"])["errorType"] == "TypeError"
    assert [r.body for r in results["counter"]] == [b"11", b"12"]


CUSTOM_SERVER = {
    "bootstrap": """\
        #!/usr/bin/env python3
        import json, os, time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/invoke":
                    time.sleep(float(body or 0))  # hold the instance so a second one is needed
                    reply = {"instance": os.environ["FC_INSTANCE_ID"], "port": self.server.server_port,
                             "control": self.headers["x-fc-control-path"],
                             "rid": self.headers["x-fc-request-id"]}
                    data = json.dumps(reply).encode()
                    print("FC Invoke Start RequestId: " + self.headers["x-fc-request-id"], flush=True)
                else:
                    data = b""
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        port = int(os.environ.get("FC_SERVER_PORT", "9000"))
        ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
    """,
}


@requires_bwrap
def test_custom_runtime_two_instances_both_on_port_9000(tmp_path):
    code = write_code(tmp_path, CUSTOM_SERVER)

    async def scenario():
        async with scheduler(tmp_path / "state", "sandbox") as sched:
            spec = make_spec(code, runtime="custom.debian10", internet_access=False)
            both = await asyncio.gather(
                sched.invoke(spec, request(b"0.3")), sched.invoke(spec, request(b"0.3"))
            )
            warm = await sched.invoke(spec, request(b"0"))
            return both, warm

    both, warm = run(scenario)
    for result in both:
        assert result.ok, result.body
    docs = [json.loads(r.body) for r in both]
    assert {d["port"] for d in docs} == {9000}
    assert docs[0]["instance"] != docs[1]["instance"]
    assert {d["instance"] for d in docs} == {r.instance_id for r in both}
    assert docs[0]["control"] == "/invoke"
    assert not warm.cold and warm.instance_id in {r.instance_id for r in both}
    assert f"FC Invoke Start RequestId: {warm.request_id}" in warm.log.decode()


@requires_bwrap
def test_custom_runtime_that_never_listens_fails_to_start(tmp_path):
    code = write_code(tmp_path, {"bootstrap": "#!/bin/sh\necho starting but exiting\nexit 3\n"})

    async def scenario():
        async with scheduler(tmp_path / "state", "sandbox") as sched:
            return await sched.invoke(make_spec(code, runtime="custom"), request())

    result = run(scenario)
    assert result.error_type == "FunctionNotStarted"
    assert "exited with code 3" in error_doc(result)["errorMessage"]
