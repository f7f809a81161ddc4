"""Services through the official aliyun-fc2 SDK against a real server."""

from __future__ import annotations

import pytest

fc2 = pytest.importorskip("fc2")
FcError = fc2.fc_exceptions.FcError


def test_create_get_update_delete_service(sdk):
    created = sdk.create_service("svc_crud", description="first", internetAccess=False)
    assert created.headers["etag"]
    assert created.data["serviceName"] == "svc_crud"
    assert created.data["internetAccess"] is False
    assert created.data["createdTime"].endswith("Z")
    got = sdk.get_service("svc_crud")
    assert got.data["description"] == "first"
    assert got.headers["etag"] == created.headers["etag"]
    updated = sdk.update_service("svc_crud", description="second", tracingConfig={})
    assert updated.data["description"] == "second"
    assert updated.data["tracingConfig"] == {"type": None, "params": None}
    assert updated.headers["etag"] != created.headers["etag"]
    sdk.delete_service("svc_crud")
    with pytest.raises(FcError) as info:
        sdk.get_service("svc_crud")
    assert info.value.status_code == 404 and info.value.err_code == "ServiceNotFound"


def test_create_twice_conflicts(sdk):
    sdk.create_service("svc_twice")
    with pytest.raises(FcError) as info:
        sdk.create_service("svc_twice")
    assert info.value.status_code == 409
    assert info.value.err_code == "ServiceAlreadyExists"
    assert "ErrorMessage" in info.value.message


def test_if_match_mismatch_is_412(sdk):
    etag = sdk.create_service("svc_etag").headers["etag"]
    with pytest.raises(FcError) as info:
        sdk.delete_service("svc_etag", headers={"if-match": "not-the-etag"})
    assert info.value.status_code == 412 and info.value.err_code == "PreconditionFailed"
    sdk.delete_service("svc_etag", headers={"if-match": etag})


def test_invalid_name_is_a_clear_400(sdk):
    with pytest.raises(FcError) as info:
        sdk.create_service("9starts-with-digit")
    assert info.value.status_code == 400 and info.value.err_code == "InvalidArgument"
    assert "serviceName" in info.value.message


def test_list_pagination_prefix_and_start_key(sdk):
    for name in ("page_a", "page_b", "page_c", "page_d", "page_e"):
        sdk.create_service(name)
    seen, token, pages = [], None, 0
    while True:
        data = sdk.list_services(limit=2, prefix="page_", nextToken=token).data
        pages += 1
        seen += [s["serviceName"] for s in data["services"]]
        token = data.get("nextToken")
        if token is None:
            assert "nextToken" not in data
            break
    assert seen == ["page_a", "page_b", "page_c", "page_d", "page_e"]
    assert pages == 3
    started = sdk.list_services(prefix="page_", startKey="page_c").data["services"]
    assert [s["serviceName"] for s in started] == ["page_c", "page_d", "page_e"]


def test_tags_and_tag_filter(sdk, backend):
    sdk.create_service("svc_tagged")
    arn = f"acs:fc:{backend.config.region}:{backend.config.account_id}:services/svc_tagged"
    sdk.tag_resource(arn, {"env": "dev", "team": "a"})
    assert sdk.get_resource_tags(arn).data["tags"] == {"env": "dev", "team": "a"}
    assert [s["serviceName"] for s in sdk.list_services(tags={"env": "dev"}).data["services"]] == [
        "svc_tagged"
    ]
    sdk.untag_resource(arn, ["team"])
    assert sdk.get_resource_tags(arn).data["tags"] == {"env": "dev"}
    with pytest.raises(FcError) as info:
        sdk.tag_resource(arn, {"aliyun-x": "v"})
    assert info.value.err_code == "InvalidArgument"


def test_tags_accept_partial_and_full_service_arns_as_the_same_resource(sdk, backend):
    sdk.create_service("tagged_svc")
    full = f"acs:fc:{backend.config.region}:{backend.config.account_id}:services/tagged_svc"
    sdk.tag_resource("services/tagged_svc", {"origin": "arn"})
    assert sdk.get_resource_tags(full).data["tags"] == {"origin": "arn"}
    assert sdk.get_resource_tags("services/tagged_svc").data == {
        "resourceArn": full,
        "tags": {"origin": "arn"},
    }
    sdk.tag_resource(full, {"team": "a"})
    assert sdk.get_resource_tags("services/tagged_svc").data["tags"] == {"origin": "arn", "team": "a"}
    assert [s["serviceName"] for s in sdk.list_services(tags={"origin": "arn"}).data["services"]] == [
        "tagged_svc"
    ]
    sdk.untag_resource("services/tagged_svc", ["origin"])
    assert sdk.get_resource_tags(full).data["tags"] == {"team": "a"}
    for wrong in ("services/tagged_svc/functions/f", "functions/f", "svc/tagged_svc"):
        with pytest.raises(FcError) as info:
            sdk.tag_resource(wrong, {"k": "v"})
        assert info.value.err_code == "InvalidArgument" and "services/<name>" in info.value.message
    with pytest.raises(FcError) as info:
        sdk.tag_resource("services/no_such_service", {"k": "v"})
    assert info.value.err_code == "ServiceNotFound"


def test_account_settings_and_reserved_capacities(sdk):
    assert sdk.get_account_settings().data["availableAZs"]
    assert sdk.list_reserved_capacities().data["reservedCapacities"] == []


def test_unknown_path_answers_json(sdk, backend):
    import httpx

    response = httpx.get(f"{backend.endpoint}/2016-08-15/local/nothing-here")
    assert response.status_code in (403, 404)
    assert "ErrorCode" in response.json()
