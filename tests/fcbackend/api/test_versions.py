"""Versions and aliases through the official SDK (docs/reference/fc-api.md#versions-and-aliases); reads
through a weighted alias."""

from __future__ import annotations

import fc2
import pytest

from tests.support.fc_api import zip_b64

FcError = fc2.fc_exceptions.FcError

READS = 20  # with a 50/50 split, a random pick passes all reads with probability 2**-20


@pytest.fixture(scope="module")
def service(sdk, tmp_path_factory):
    code = tmp_path_factory.mktemp("code")
    (code / "index.py").write_text("def handler(e, c):\n    return e\n")
    sdk.create_service("ver_svc", description="service v0")
    sdk.create_function("ver_svc", "f", "python3.10", "index.handler", codeDir=str(code))
    return "ver_svc"


def test_publish_snapshots_and_ids_are_never_reused(sdk, service):
    v1 = sdk.publish_version(service, "first").data
    assert v1["versionId"] == "1" and v1["description"] == "first"
    with pytest.raises(FcError) as info:
        sdk.publish_version(service, "nothing changed")
    assert info.value.status_code == 400
    sdk.update_function(service, "f", memorySize=512)
    v2 = sdk.publish_version(service, "second").data
    assert v2["versionId"] == "2"
    assert sdk.get_function(service, "f", qualifier="1").data["memorySize"] == 256
    assert sdk.get_function(service, "f", qualifier="2").data["memorySize"] == 512
    assert sdk.get_service(service, qualifier="2").data["description"] == "second"
    listed = sdk.list_versions(service).data
    assert [v["versionId"] for v in listed["versions"]] == ["2", "1"] and listed["direction"] == "BACKWARD"
    sdk.delete_version(service, "2")
    sdk.update_function(service, "f", memorySize=1024)
    assert sdk.publish_version(service, "third").data["versionId"] == "3"
    with pytest.raises(FcError) as info:
        sdk.delete_service(service)
    assert info.value.err_code == "ServiceNotEmpty"


def test_aliases_and_qualified_invocation(sdk, service, backend):
    versions = [v["versionId"] for v in sdk.list_versions(service).data["versions"]]
    main = versions[-1]
    alias = sdk.create_alias(
        service, "prod", main, description="live", additionalVersionWeight={main: 0.0}
    ).data
    assert alias["aliasName"] == "prod" and alias["versionId"] == main
    assert sdk.get_alias(service, "prod").data["description"] == "live"
    with pytest.raises(FcError) as info:
        sdk.create_alias(service, "prod", main)
    assert info.value.status_code == 409
    response = sdk.invoke_function(service, "f", payload=b"hi", qualifier="prod")
    assert response.headers["x-fc-invocation-service-version"] == main
    spec, _ = backend.scheduler.invoked[-1]
    assert spec.version_id == main and spec.qualifier == "prod"
    with pytest.raises(FcError) as info:
        sdk.invoke_function(service, "f", payload=b"hi", qualifier="nope")
    assert info.value.status_code == 404 and info.value.err_code == "AliasNotFound"
    with pytest.raises(FcError) as info:
        sdk.delete_version(service, main)
    assert info.value.status_code == 412
    updated = sdk.update_alias(service, "prod", main, description="changed").data
    assert updated["description"] == "changed"
    assert [a["aliasName"] for a in sdk.list_aliases(service).data["aliases"]] == ["prod"]
    sdk.delete_alias(service, "prod")
    with pytest.raises(FcError) as info:
        sdk.get_alias(service, "prod")
    assert info.value.err_code == "AliasNotFound"


def test_weighted_alias_routes_to_both_versions(sdk, backend):
    from fcbackend.api.state import pick_weighted_version

    alias = {"versionId": "1", "additionalVersionWeight": {"2": 1.0}}
    assert pick_weighted_version(alias) == "2"
    assert pick_weighted_version({"versionId": "1", "additionalVersionWeight": {"2": 0.0}}) == "1"


# -- reads through a weighted alias are deterministic (its main version); invocations follow the weights
@pytest.fixture(scope="module")
def split_alias(sdk, client):
    """Service ``split_svc`` with versions 1 and 2 (different description and code) and alias
    ``prod`` -> 1 sending half the traffic to 2."""
    client.create_service("split_svc", description="v1 service")
    client.create_function(
        "split_svc",
        "f",
        code={"zipFile": zip_b64({"index.py": "V = 1\n"})},
        runtime="python3.10",
        handler="index.handler",
        description="fn one",
    )
    sdk.publish_version("split_svc", "version one")
    client.update_service("split_svc", description="v2 service")
    client.update_function(
        "split_svc", "f", code={"zipFile": zip_b64({"index.py": "V = 2\n"})}, description="fn two"
    )
    sdk.publish_version("split_svc", "version two")
    sdk.create_alias("split_svc", "prod", "1", additionalVersionWeight={"2": 0.5})
    return "split_svc"


def test_reads_through_a_weighted_alias_name_its_main_version(sdk, split_alias):
    expected_checksum = sdk.get_function_code(split_alias, "f", qualifier="1").data["checksum"]
    assert expected_checksum != sdk.get_function_code(split_alias, "f", qualifier="2").data["checksum"]
    for _ in range(READS):
        assert sdk.get_service(split_alias, qualifier="prod").data["description"] == "version one"
        assert sdk.get_function(split_alias, "f", qualifier="prod").data["description"] == "fn one"
        assert sdk.get_function_code(split_alias, "f", qualifier="prod").data["checksum"] == expected_checksum
        names = [
            f["description"] for f in sdk.list_functions(split_alias, qualifier="prod").data["functions"]
        ]
        assert names == ["fn one"]


def test_invocations_through_the_alias_still_follow_the_weights(sdk, split_alias, backend):
    chosen = {
        sdk.invoke_function(split_alias, "f", payload=b"x", qualifier="prod").headers[
            "x-fc-invocation-service-version"
        ]
        for _ in range(60)
    }
    assert chosen == {"1", "2"}
