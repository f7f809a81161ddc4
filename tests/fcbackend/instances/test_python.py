"""Built-in Python runtimes through the scheduler, on real sandboxes and processes; the credentials
a function sees."""

from __future__ import annotations

import json

import pytest

from fcbackend.models import HttpRequestInfo
from rosengine.clients.fc import FcClient
from rosengine.clients.ram import RamClient
from tests.support.fc_api import zip_b64
from tests.support.instances import DRIVERS, error_doc, make_spec, request, run, scheduler, write_code

HANDLERS = {
    "index.py": """
        import json, logging, os, sys
        counter = 0

        def echo(event, context):
            return event

        def text(event, context):
            return "text:" + event.decode()

        def number(event, context):
            return 42

        def nothing(event, context):
            return None

        def document(event, context):
            return {"type": type(event).__name__, "request_id": context.request_id,
                    "function": context.function.name, "memory": context.function.memory,
                    "service": context.service.name, "qualifier": context.service.qualifier,
                    "region": context.region, "account": context.account_id,
                    "key": context.credentials.access_key_id,
                    "env": {k: os.environ.get(k) for k in ("FC_FUNCTION_NAME", "FC_FUNC_CODE_PATH", "MY_VAR",
                                                           "ALIBABA_CLOUD_ACCESS_KEY_ID", "FC_INSTANCE_ID")}}

        def logs(event, context):
            print("printed line")
            logging.info("root logger line")
            context.getLogger().warning("context logger line")
            sys.stderr.write("stderr line\\n")
            return "ok"

        def boom(event, context):
            raise ValueError("bad input: " + event.decode())

        def wsgi(environ, start_response):
            body = environ["wsgi.input"].read()
            payload = {"method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"],
                       "query": environ["QUERY_STRING"], "uri": environ["fc.request_uri"],
                       "client": environ["REMOTE_ADDR"], "header": environ.get("HTTP_X_CUSTOM"),
                       "ctype": environ.get("CONTENT_TYPE"), "body": body.decode(),
                       "request_id": environ["fc.context"].request_id}
            start_response("202 Accepted", [("Content-Type", "application/json"), ("X-Reply", "yes")])
            return [json.dumps(payload).encode()]
    """,
}


@pytest.mark.parametrize("driver", DRIVERS)
def test_python3_event_and_result_conversions(tmp_path, driver):
    code = write_code(tmp_path, HANDLERS)

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            out = {}
            for name in ("echo", "text", "number", "nothing", "document"):
                spec = make_spec(code, handler=f"index.{name}", environment=(("MY_VAR", "mine"),))
                out[name] = await sched.invoke(spec, request(b"\x00\xffbytes" if name == "echo" else b"hi"))
            return out

    out = run(scenario)
    assert all(r.ok for r in out.values()), {k: (r.error_type, r.body) for k, r in out.items()}
    assert out["echo"].body == b"\x00\xffbytes"
    assert out["text"].body == b"text:hi"
    assert out["number"].body == b"42"
    assert out["nothing"].body == b""
    doc = json.loads(out["document"].body)
    assert doc["type"] == "bytes"
    assert doc["request_id"] == out["document"].request_id
    assert doc["memory"] == 128 and doc["service"] == "svc" and doc["qualifier"] == "LATEST"
    assert doc["region"] == "cn-hangzhou" and doc["account"] == "1234567890123456"
    assert doc["key"] == "AKID"
    assert doc["env"]["MY_VAR"] == "mine"
    assert doc["env"]["ALIBABA_CLOUD_ACCESS_KEY_ID"] == "AKID"
    assert doc["env"]["FC_INSTANCE_ID"] == out["document"].instance_id
    assert out["document"].cold and out["document"].instance_id


@pytest.mark.parametrize("driver", DRIVERS)
def test_python27_compat_gives_str_event(tmp_path, driver):
    code = write_code(
        tmp_path,
        {
            "index.py": """
        def handler(event, context):
            return "%s:%s" % (type(event).__name__, event.upper())
    """
        },
    )

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            return await sched.invoke(make_spec(code, runtime="python2.7"), request("héllo".encode()))

    result = run(scenario)
    assert result.ok, result.body
    assert result.body.decode() == "str:HÉLLO"


@pytest.mark.parametrize("driver", DRIVERS)
def test_exception_becomes_unhandled_invocation_error(tmp_path, driver):
    code = write_code(tmp_path, HANDLERS)

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            spec = make_spec(code, handler="index.boom")
            failed = await sched.invoke(spec, request(b"xyz"))
            again = await sched.invoke(spec, request(b"second"))
            return failed, again

    failed, again = run(scenario)
    assert failed.status == 200 and failed.error_type == "UnhandledInvocationError"
    doc = error_doc(failed)
    assert doc["errorType"] == "ValueError" and doc["errorMessage"] == "bad input: xyz"
    frame = doc["stackTrace"][-1]
    assert frame[0].endswith('index.py"') and frame[2] == "in boom" and "raise ValueError" in frame[3]
    assert all("python_bootstrap" not in f[0] for f in doc["stackTrace"])
    # the instance survives a handler exception and is reused
    assert again.instance_id == failed.instance_id and not again.cold


def test_missing_module_and_handler_are_reported(tmp_path):
    code = write_code(tmp_path, HANDLERS)

    async def scenario():
        async with scheduler(tmp_path / "state", "process") as sched:
            no_module = await sched.invoke(make_spec(code, handler="nosuch.handler"), request())
            no_func = await sched.invoke(make_spec(code, handler="index.nosuch"), request())
            return no_module, no_func

    no_module, no_func = run(scenario)
    assert no_module.error_type == "UnhandledInvocationError"
    assert "Unable to import module 'nosuch'" in error_doc(no_module)["errorMessage"]
    assert error_doc(no_func)["errorType"] == "HandlerNotFound"


@pytest.mark.parametrize("driver", DRIVERS)
def test_logs_are_captured_per_request(tmp_path, driver):
    code = write_code(tmp_path, HANDLERS)

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            return await sched.invoke(make_spec(code, handler="index.logs"), request())

    result = run(scenario)
    text = result.log.decode()
    lines = text.splitlines()
    assert lines[0] == f"FC Invoke Start RequestId: {result.request_id}"
    assert lines[-1] == f"FC Invoke End RequestId: {result.request_id}"
    assert "printed line" in lines
    assert "stderr line" in lines
    root = next(line for line in lines if "root logger line" in line)
    assert root.endswith(f"Z {result.request_id} [INFO] root logger line")
    context_line = next(line for line in lines if "context logger line" in line)
    assert f" {result.request_id} [WARNING] context logger line" in context_line


@pytest.mark.parametrize("driver", DRIVERS)
def test_wsgi_http_invocation(tmp_path, driver):
    code = write_code(tmp_path, HANDLERS)
    http = HttpRequestInfo(
        method="POST",
        path="/a/b",
        query="x=1&y=2",
        headers=[("X-Custom", "hello"), ("Content-Type", "text/plain")],
        body=b"payload",
        client_ip="10.0.0.7",
        host="example.com",
        request_uri="/proxy/svc/fn/a/b?x=1&y=2",
    )

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            return await sched.invoke(make_spec(code, handler="index.wsgi"), request(http=http))

    result = run(scenario)
    assert result.status == 202, result.body
    assert result.headers["x-reply"] == "yes"  # header names arrive lower-cased
    doc = json.loads(result.body)
    assert doc == {
        "method": "POST",
        "path": "/a/b",
        "query": "x=1&y=2",
        "uri": "/proxy/svc/fn/a/b?x=1&y=2",
        "client": "10.0.0.7",
        "header": "hello",
        "ctype": "text/plain",
        "body": "payload",
        "request_id": result.request_id,
    }


@pytest.mark.parametrize("driver", DRIVERS)
def test_layers_are_on_the_python_path_first_layer_wins(tmp_path, driver):
    code = write_code(
        tmp_path,
        {
            "index.py": """
        import shared
        def handler(event, context):
            return shared.WHO
    """
        },
    )
    first = write_code(tmp_path, {"python/shared.py": "WHO = 'first'\n"}, name="layer1")
    second = write_code(tmp_path, {"python/shared.py": "WHO = 'second'\n"}, name="layer2")

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            return await sched.invoke(make_spec(code, layer_dirs=(first, second)), request())

    result = run(scenario)
    assert result.body == b"first", result.body


# -- what a function sees as its credentials: the temporary keys of its service's role, minted by
# the local STS, nothing when the service has no role (or a role that does not exist in the local
# RAM: the invocation log says why), never the backend's own admin key. The spec is built by the
# real API (over a fake scheduler) and run on a real process-driver instance, so the test sees
# exactly what the function's code sees: context.credentials (snake_case and FC's camelCase names)
# and the env
CREDENTIALS_CODE = """
import json, os

def handler(event, context):
    creds = context.credentials
    return json.dumps({
        "snake": [creds.access_key_id, creds.access_key_secret, creds.security_token],
        "camel": [creds.accessKeyId, creds.accessKeySecret, creds.securityToken],
        "env": [os.environ.get(name) for name in (
            "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"
        )],
    })
"""

FC_TRUST = {
    "Version": "1",
    "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["fc.aliyuncs.com"]}}
    ],
}


@pytest.fixture(scope="module")
def credentials_client(backend):
    config = backend.config
    with RamClient(backend.endpoint, config.access_key_id, config.access_key_secret) as ram:
        ram.create_role("fc-role", FC_TRUST)
    with FcClient(backend.endpoint, config.access_key_id, config.access_key_secret) as c:
        c.create_service("creds_norole")
        c.create_service("creds_role", role=f"acs:ram::{config.account_id}:role/fc-role")
        c.create_service("creds_missing_role", role=f"acs:ram::{config.account_id}:role/nobody")
        for service in ("creds_norole", "creds_role", "creds_missing_role"):
            c.create_function(
                service,
                "who",
                code={"zipFile": zip_b64({"index.py": CREDENTIALS_CODE})},
                runtime="python3.10",
                handler="index.handler",
            )
        yield c


def _spec_built_by_the_api(backend, credentials_client, service: str):
    credentials_client.invoke_function(service, "who", b"")
    spec, _ = backend.scheduler.invoked[-1]
    assert spec.service == service
    return spec


def _seen_by_the_function(spec, state_dir) -> dict:
    async def scenario():
        async with scheduler(state_dir, "process") as sched:
            return await sched.invoke(spec, request())

    result = run(scenario)
    assert result.ok, result.body
    return json.loads(result.body)


def test_service_without_role_gives_empty_credentials(backend, credentials_client, tmp_path):
    spec = _spec_built_by_the_api(backend, credentials_client, "creds_norole")
    assert spec.credentials == ("", "", "")
    seen = _seen_by_the_function(spec, tmp_path / "state")
    assert seen["snake"] == ["", "", ""]
    assert seen["camel"] == ["", "", ""]
    assert seen["env"] == ["", "", ""]
    admin = backend.config.access_key_secret
    assert admin not in json.dumps(seen)


def test_service_with_role_gives_sts_credentials_of_that_role(backend, credentials_client, tmp_path):
    spec = _spec_built_by_the_api(backend, credentials_client, "creds_role")
    seen = _seen_by_the_function(spec, tmp_path / "state")
    key_id, secret, token = seen["snake"]
    assert key_id.startswith("STS.") and secret and token
    assert backend.config.access_key_secret not in json.dumps(seen)
    assert seen["camel"] == seen["snake"]
    assert seen["env"] == seen["snake"]
    with RamClient(backend.endpoint, key_id, secret, token) as as_function:
        identity = as_function.get_caller_identity()
    assert identity["IdentityType"] == "AssumedRoleUser"
    assert identity["Arn"] == f"acs:ram::{backend.config.account_id}:assumed-role/fc-role/who"


def test_service_whose_role_does_not_exist_gives_nothing_and_says_why(backend, credentials_client, tmp_path):
    spec = _spec_built_by_the_api(backend, credentials_client, "creds_missing_role")
    assert spec.credentials == ("", "", "")
    assert "nobody" in spec.credentials_note and "EntityNotExist.Role" in spec.credentials_note
    seen = _seen_by_the_function(spec, tmp_path / "state")
    assert seen["snake"] == ["", "", ""]


def test_camel_case_credential_names_match_snake_case(tmp_path):
    """The corpus template fc-web-file-backend-service.yml reads ``creds.accessKeyId`` etc."""
    code = write_code(tmp_path, {"index.py": CREDENTIALS_CODE})
    spec = make_spec(code, credentials=("AK", "SK", "STS"))
    seen = _seen_by_the_function(spec, tmp_path / "state")
    assert seen["camel"] == seen["snake"] == ["AK", "SK", "STS"]
