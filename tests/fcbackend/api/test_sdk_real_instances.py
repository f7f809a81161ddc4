"""The official aliyun-fc2 SDK against a real backend whose functions really run (the default
scheduler and driver: sandbox where bubblewrap works, else plain processes).

It is what an FC user's own tooling does: create a service and a function from a zip, invoke it
(str and int results, an exception), keep state across calls in a warm instance with an
initializer that runs once, update the code, delete; a deleted layer version keeps serving the
functions that use it.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rosengine.clients.fc import FcApiError, FcClient, FcNotFound
from tests.support.fc_api import real_backend, zip_b64

fc2 = pytest.importorskip("fc2")
FcError = fc2.fc_exceptions.FcError

COUNTER = """
counter = 0


def initialize(context):
    global counter
    counter = 1


def handler(event, context):
    global counter
    counter += 1
    return counter
"""

HELLO = """
def handler(event, context):
    return "hello " + event.decode()


def boom(event, context):
    raise ValueError("bad event: " + event.decode())
"""


def _zip_dir(tmp: Path, source: str) -> str:
    """The SDK zips a code directory itself (codeDir), as users call it."""
    (tmp / "main.py").write_text(source)
    return str(tmp)


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with real_backend(tmp_path_factory.mktemp("fc-sdk-real")) as (endpoint, config):
        yield fc2.Client(
            endpoint=endpoint,
            accessKeyID=config.access_key_id,
            accessKeySecret=config.access_key_secret,
            Timeout=30,
        )


def test_create_invoke_update_delete_with_real_instances(sdk, tmp_path):
    sdk.create_service("sdk-real")
    code = tmp_path / "hello"
    code.mkdir()
    sdk.create_function("sdk-real", "hello", "python3", "main.handler", codeDir=_zip_dir(code, HELLO))
    assert sdk.invoke_function("sdk-real", "hello", payload="world").data == b"hello world"

    sdk.create_function("sdk-real", "boom", "python3", "main.boom", codeDir=str(code))
    with pytest.raises(FcError) as failed:
        sdk.invoke_function("sdk-real", "boom", payload="x")
    body = json.loads(failed.value.message)
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "bad event: x"
    assert failed.value.status_code == 200

    archive = tmp_path / "v2.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("main.py", "def handler(event, context):\n    return 'v2'\n")
    sdk.update_function("sdk-real", "hello", codeZipFile=str(archive))
    assert sdk.invoke_function("sdk-real", "hello", payload="x").data == b"v2"

    for name in ("hello", "boom"):
        sdk.delete_function("sdk-real", name)
    sdk.delete_service("sdk-real")
    with pytest.raises(FcError) as gone:
        sdk.get_service("sdk-real")
    assert gone.value.err_code == "ServiceNotFound"


def test_initializer_runs_once_and_state_survives_between_calls(sdk, tmp_path):
    sdk.create_service("sdk-counter")
    sdk.create_function(
        "sdk-counter",
        "counter",
        "python2.7",
        "main.handler",
        codeDir=_zip_dir(tmp_path, COUNTER),
        initializer="main.initialize",
    )
    results = [sdk.invoke_function("sdk-counter", "counter").data for _ in range(3)]
    assert results == [b"2", b"3", b"4"]  # int results come back as their decimal text
    sdk.delete_function("sdk-counter", "counter")
    sdk.delete_service("sdk-counter")


# -- deleting a layer version does not break the functions that already use it, while new
# references to the deleted version are refused (through FcClient)
LAYER_HANDLER = "import shared\n\n\ndef handler(event, context):\n    return 'layer says ' + shared.WORD\n"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FcClient]:
    with (
        real_backend(tmp_path_factory.mktemp("fc-layers")) as (endpoint, config),
        FcClient(endpoint, config.access_key_id, config.access_key_secret) as c,
    ):
        yield c


def _invoke(client: FcClient, service: str, function: str, qualifier: str | None = None) -> Any:
    return client.invoke_function(service, function, b"{}", qualifier=qualifier)


def test_functions_keep_a_deleted_layer_version_and_new_references_are_refused(client):
    layer = client.publish_layer_version(
        "words",
        code={"zipFile": zip_b64({"python/shared.py": "WORD = 'kept'\n"})},
        compatibleRuntime=["python3.10"],
    )
    client.create_service("layered")
    client.create_function(
        "layered",
        "warm",
        code={"zipFile": zip_b64({"index.py": LAYER_HANDLER})},
        runtime="python3.10",
        handler="index.handler",
        layers=[layer["arn"]],
    )
    client.create_function(
        "layered",
        "cold",
        code={"zipFile": zip_b64({"index.py": LAYER_HANDLER})},
        runtime="python3.10",
        handler="index.handler",
        layers=[layer["arn"]],
    )
    assert _invoke(client, "layered", "warm").body == b"layer says kept"
    client.publish_version("layered", "with the layer")

    client.delete_layer_version("words", 1)

    with pytest.raises(FcNotFound):
        client.get_layer_version("words", 1)
    assert client.list_layers() == []
    # "cold" never ran: its first start happens after the delete.
    assert _invoke(client, "layered", "cold").body == b"layer says kept"
    # An update restarts "warm" (new spec, cold start); re-sending the same layers is allowed.
    client.update_function("layered", "warm", description="touched", layers=[layer["arn"]])
    assert _invoke(client, "layered", "warm").body == b"layer says kept"
    assert _invoke(client, "layered", "warm", qualifier="1").body == b"layer says kept"

    with pytest.raises(FcApiError) as info:
        client.create_function(
            "layered",
            "new",
            code={"zipFile": zip_b64({"index.py": LAYER_HANDLER})},
            runtime="python3.10",
            handler="index.handler",
            layers=[layer["arn"]],
        )
    assert info.value.status == 400 and "does not exist" in info.value.message
    client.update_function("layered", "cold", layers=[])
    with pytest.raises(FcApiError) as info:
        client.update_function("layered", "cold", layers=[layer["arn"]])
    assert info.value.status == 400 and "does not exist" in info.value.message
