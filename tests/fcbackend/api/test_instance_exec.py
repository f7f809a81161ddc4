"""Instance exec (docs/reference/fc-api.md#rest-api): a command run inside a live instance over a signed
WebSocket.

Real backends with real instances (process driver always; sandbox where bubblewrap works): create
a function, invoke it once, list its instances, then exec in one — output, stderr, exit status,
stdin piping — through our FcClient and through the official SDK's framing.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from typing import Any

import fc2
import pytest

from fcbackend.app import create_app
from fcbackend.backend_config import BackendConfig
from fcbackend.server import ThreadedServer
from rosengine.clients.fc import FcApiError, FcClient, FcNotFound

INDEX = "def handler(event, context):\n    return 'ok'\n"


def _zip(files: dict[str, str]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return base64.b64encode(buffer.getvalue()).decode()


SANDBOX = pytest.param("sandbox", marks=pytest.mark.bwrap)


def _drivers() -> list[Any]:
    return ["process", SANDBOX]


@pytest.fixture(scope="module", params=_drivers())
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, str, str]]:
    """(client, driver, instance id) of a function invoked once on a backend using ``driver``."""
    driver = request.param
    config = BackendConfig.for_state_dir(
        tmp_path_factory.mktemp(f"exec-{driver}"), driver=driver, flush_interval_s=0.05
    )
    server = ThreadedServer(create_app(config)).start()
    client = FcClient(server.endpoint, config.access_key_id, config.access_key_secret, timeout=60)
    try:
        client.create_service("svc")
        client.create_function(
            "svc",
            "fn",
            {"zipFile": _zip({"index.py": INDEX})},
            runtime="python3",
            handler="index.handler",
            environmentVariables={"GREETING": "hi there"},
        )
        invoked = client.invoke_function("svc", "fn", b"{}")
        assert invoked.error_type is None and invoked.body.strip(b'"') == b"ok"
        instances = client.list_instances("svc", "fn")
        assert len(instances) == 1
        yield client, driver, instances[0]["instanceId"]
    finally:
        client.close()
        server.stop()


def test_exec_reads_the_code_and_reports_success(live):
    client, driver, instance_id = live
    path = "/code/index.py" if driver == "sandbox" else "index.py"
    result = client.exec_instance("svc", "fn", instance_id, ["cat", path])
    assert result.exit_code == 0 and result.error is None
    assert bytes(result.stdout).decode() == INDEX
    assert result.stderr == b""


def test_exec_reports_stderr_and_the_exit_status(live):
    client, _driver, instance_id = live
    result = client.exec_instance("svc", "fn", instance_id, ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert bytes(result.stdout) == b"out\n"
    assert bytes(result.stderr) == b"err\n"
    assert result.exit_code == 3
    assert result.error is not None and result.error["reason"] == "NonZeroExitCode"


def test_exec_pipes_stdin_and_sees_the_function_environment(live):
    client, driver, instance_id = live
    chunks = [b"first line\n", b"second \xff binary\n"]
    result = client.exec_instance("svc", "fn", instance_id, ["cat"], stdin=iter(chunks))
    assert result.exit_code == 0
    assert bytes(result.stdout) == b"".join(chunks)
    env = client.exec_instance(
        "svc", "fn", instance_id, ["sh", "-c", 'echo "$GREETING|$FC_FUNCTION_NAME|$PWD"']
    )
    greeting, function, cwd = bytes(env.stdout).decode().strip().split("|")
    assert (greeting, function) == ("hi there", "fn")
    if driver == "sandbox":
        assert cwd == "/code"


@pytest.mark.parametrize("live", [SANDBOX], indirect=True)  # isolation is the sandbox's
def test_sandbox_exec_is_isolated_like_the_function(live):
    client, driver, instance_id = live
    result = client.exec_instance(
        "svc",
        "fn",
        instance_id,
        ["sh", "-c", "hostname; touch /code/x 2>/dev/null && echo writable; echo $$"],
    )
    lines = bytes(result.stdout).decode().split()
    assert lines[0] == "fc-instance"  # the sandbox's uts namespace
    assert "writable" not in lines  # no capabilities: the read-only code stays read-only
    assert int(lines[-1]) < 100  # the sandbox's pid namespace
    groups = client.exec_instance("svc", "fn", instance_id, ["cat", "/proc/self/cgroup"])
    memory = [
        line
        for line in bytes(groups.stdout).decode().splitlines()
        if ":memory:" in line or line.startswith("0::")
    ]
    # Relative to the sandbox's cgroup namespace: "/" is the instance's own cgroup (its limits).
    assert memory and all(line.endswith(":/") for line in memory)


def test_unknown_instance_and_missing_command_are_refused(live):
    client, _driver, instance_id = live
    with pytest.raises(FcNotFound) as missing:
        client.exec_instance("svc", "fn", "no-such-instance", ["true"])
    assert missing.value.error_code == "InstanceNotFound"
    with pytest.raises(FcApiError) as empty:
        client.exec_instance("svc", "fn", instance_id, [])
    assert empty.value.status == 400 and "command" in empty.value.message
    with pytest.raises(FcNotFound) as no_function:
        client.exec_instance("svc", "nope", instance_id, ["true"])
    assert no_function.value.error_code == "FunctionNotFound"


def test_unsigned_upgrade_is_refused(live):
    client, _driver, instance_id = live
    unsigned = FcClient(client.endpoint)
    try:
        with pytest.raises(FcApiError) as refused:
            unsigned.exec_instance("svc", "fn", instance_id, ["true"])
        assert refused.value.status == 403
    finally:
        unsigned.close()


def test_idle_timeout_kills_a_silent_command(live):
    client, _driver, instance_id = live
    result = client.exec_instance("svc", "fn", instance_id, ["sleep", "30"], idle_timeout=0.3)
    assert result.exit_code == -1
    assert result.error is not None and result.error["reason"] == "IdleTimeout"


def test_official_sdk_framing(live):
    """The aliyun-fc2 SDK's ExecWebsocket: text messages whose first character is the channel."""
    client, driver, instance_id = live
    sdk = fc2.Client(
        endpoint=client.endpoint,
        accessKeyID=client.access_key_id,
        accessKeySecret=client.access_key_secret,
        Timeout=30,
    )
    got: dict[str, list[str]] = {"stdout": [], "stderr": []}
    closed = threading.Event()
    connections: list[Any] = []
    ws = sdk.instance_exec(
        "svc",
        "LATEST",
        "fn",
        instance_id,
        params={"command": ["sh", "-c", "echo hello; echo oops >&2"]},
        hooks={
            "on_open": lambda exec_ws: connections.append(exec_ws.ws.sock),
            "on_stdout": lambda _ws, msg: got["stdout"].append(msg),
            "on_stderr": lambda _ws, msg: got["stderr"].append(msg),
            "on_close": lambda _ws: closed.set(),
        },
    )
    runner = threading.Thread(target=ws.start, daemon=True)
    runner.start()
    assert closed.wait(30)
    ws.close()
    runner.join(10)
    # websocket-client (1.9) never closes its socket when the server closed first (its close()
    # returns early once disconnected): close it here, or the leak surfaces in a later test.
    for connection in connections:
        connection.shutdown()
    assert "".join(got["stdout"]) == "hello\n" and "".join(got["stderr"]) == "oops\n"


def test_tty_session_merges_output_on_stdout(live):
    client, _driver, instance_id = live
    result = client.exec_instance(
        "svc", "fn", instance_id, ["sh", "-c", "test -t 1 && echo tty; echo e >&2"], tty=True
    )
    assert result.exit_code == 0
    assert bytes(result.stdout).replace(b"\r\n", b"\n") == b"tty\ne\n"


def test_status_document_is_json(live):
    client, _driver, instance_id = live
    result = client.exec_instance("svc", "fn", instance_id, ["false"])
    assert result.exit_code == 1
    assert json.loads(json.dumps(result.error))["status"] == "Failure"


def test_cli_exec_streams_output_and_returns_the_exit_code(live, monkeypatch):
    from click.testing import CliRunner

    from rosengine.cli.fc_cmd import fc

    client, _driver, instance_id = live
    monkeypatch.setenv("ROS_FC_ENDPOINT", client.endpoint)
    monkeypatch.setenv("ROS_FC_ACCESS_KEY_ID", client.access_key_id)
    monkeypatch.setenv("ROS_FC_ACCESS_KEY_SECRET", client.access_key_secret)
    runner = CliRunner()
    done = runner.invoke(
        fc, ["exec", "svc/fn", instance_id, "--", "sh", "-c", "echo $GREETING; echo e >&2; exit 4"]
    )
    assert done.exit_code == 4, done.output
    assert done.stdout == "hi there\n" and done.stderr == "e\n"
    piped = runner.invoke(fc, ["exec", "-i", "svc/fn", instance_id, "--", "wc", "-c"], input="12345")
    assert piped.exit_code == 0 and piped.stdout.strip() == "5"
    missing = runner.invoke(fc, ["exec", "svc/fn", "nope", "--", "true"])
    assert missing.exit_code == 1 and "InstanceNotFound" in missing.stderr


@pytest.mark.docker
def test_docker_instance_exec_through_the_engine_api(tmp_path):
    """A custom-container instance: the Engine's exec API, hijacked stream, exit code, stdin."""
    import asyncio

    from fcbackend.instances.docker.driver import DockerDriver
    from fcbackend.instances.exec import ExecOptions, start_exec
    from tests.support.docker_images import build_test_image, make_spec

    spec = make_spec(build_test_image(), environment=(("GREETING", "from-container"),))
    python = "/usr/bin/python3"

    async def collect(session) -> tuple[bytes, bytes, int]:
        out, err = bytearray(), bytearray()
        while (chunk := await session.read()) is not None:
            (out if chunk[0] == 1 else err).extend(chunk[1])
        return bytes(out), bytes(err), await session.wait()

    async def body() -> list[tuple[bytes, bytes, int]]:
        driver = DockerDriver(tmp_path)
        instance = await driver.start(spec, "i-exec")
        try:
            # The test image holds only Python: no shell, no coreutils.
            script = (
                "import os, sys; print(os.environ['GREETING']); print('err', file=sys.stderr); sys.exit(3)"
            )
            first = await collect(await start_exec(instance, ExecOptions([python, "-S", "-c", script])))
            echo = "import sys; sys.stdout.write(sys.stdin.read())"
            piped = await start_exec(instance, ExecOptions([python, "-S", "-c", echo], stdin=True))
            await piped.write_stdin(b"through stdin\n")
            await piped.close_stdin()
            second = await asyncio.wait_for(collect(piped), 20)
            await piped.kill()  # releases the hijacked connection (the command already ended)
            return [first, second]
        finally:
            await driver.close()

    first, piped = asyncio.run(asyncio.wait_for(body(), 120))
    assert first == (b"from-container\n", b"err\n", 3)
    assert piped == (b"through stdin\n", b"", 0)
