"""Regression from the official-SDK audit: deleting a layer version must not break the functions
that already use it (real instances: the default scheduler and driver), while new references to
the deleted version are refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rosengine.clients.fc import FcApiError, FcClient, FcNotFound
from tests.support.fc_api import real_backend, zip_b64

HANDLER = "import shared\n\n\ndef handler(event, context):\n    return 'layer says ' + shared.WORD\n"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FcClient]:
    with (
        real_backend(tmp_path_factory.mktemp("fc-audit-layers")) as (endpoint, config),
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
        code={"zipFile": zip_b64({"index.py": HANDLER})},
        runtime="python3.10",
        handler="index.handler",
        layers=[layer["arn"]],
    )
    client.create_function(
        "layered",
        "cold",
        code={"zipFile": zip_b64({"index.py": HANDLER})},
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
            code={"zipFile": zip_b64({"index.py": HANDLER})},
            runtime="python3.10",
            handler="index.handler",
            layers=[layer["arn"]],
        )
    assert info.value.status == 400 and "does not exist" in info.value.message
    client.update_function("layered", "cold", layers=[])
    with pytest.raises(FcApiError) as info:
        client.update_function("layered", "cold", layers=[layer["arn"]])
    assert info.value.status == 400 and "does not exist" in info.value.message
