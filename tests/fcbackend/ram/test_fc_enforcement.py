"""RAM enforced at the FC API, driven by the official FC 2.0 SDK (aliyun-fc2): root keys do
everything, a RAM user's key or an STS session only what its policies allow."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fc2
import pytest
from fc2.fc_exceptions import FcError
from starlette.routing import Route, WebSocketRoute

from fcbackend.api.authorization import request_action
from fcbackend.api.routes import all_routes
from fcbackend.ram.enforcement import ENVIRONMENT_VARIABLE
from tests.support.fc_api import FakeScheduler
from tests.support.ram import RamBackend, account_trust, allow, ram_backend


def _client(backend: RamBackend, key_id: str, secret: str, token: str = "") -> Any:
    return fc2.Client(
        endpoint=backend.endpoint, accessKeyID=key_id, accessKeySecret=secret, securityToken=token, Timeout=10
    )


def _denied(call) -> FcError:
    with pytest.raises(FcError) as caught:
        call()
    return caught.value


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RamBackend]:
    code = tmp_path_factory.mktemp("code")
    (code / "index.py").write_text("def handler(event, context):\n    return event\n")
    with ram_backend(tmp_path_factory.mktemp("fc-ram"), scheduler=FakeScheduler()) as served:
        root = _client(served, served.config.access_key_id, served.config.access_key_secret)
        root.create_service("shop")
        for name in ("checkout", "admin"):
            root.create_function("shop", name, "python3.10", "index.handler", codeDir=str(code))
        yield served


def test_root_keys_do_everything(backend: RamBackend) -> None:
    root = _client(backend, backend.config.access_key_id, backend.config.access_key_secret)
    root.create_service("root-made")
    root.delete_service("root-made")


def test_a_read_only_key_reads_and_cannot_write(backend: RamBackend) -> None:
    reader = _client(backend, *backend.user_with_key("fc-reader", "AliyunFCReadOnlyAccess"))
    assert "shop" in [s["serviceName"] for s in reader.list_services().data["services"]]
    assert reader.get_function("shop", "checkout").data["functionName"] == "checkout"
    assert {f["functionName"] for f in reader.list_functions("shop").data["functions"]} == {
        "checkout",
        "admin",
    }
    refused = _denied(lambda: reader.create_service("not-allowed"))
    assert refused.status_code == 403 and refused.err_code == "AccessDenied"
    assert "fc:CreateService" in refused.message and ":user/fc-reader" in refused.message
    assert _denied(lambda: reader.delete_function("shop", "admin")).err_code == "AccessDenied"
    assert (
        _denied(lambda: reader.invoke_function("shop", "checkout", payload=b"x")).err_code == "AccessDenied"
    )


def test_resource_level_permissions_on_functions(backend: RamBackend) -> None:
    with backend.root() as ram:
        ram.create_user("cashier")
        policy = allow("fc:InvokeFunction", "acs:fc:*:*:services/shop/functions/checkout")
        ram.create_policy("invoke-checkout", policy)
        ram.attach_policy("User", "cashier", "Custom", "invoke-checkout")
        key = ram.create_access_key("cashier")
    cashier = _client(backend, key["AccessKeyId"], key["AccessKeySecret"])
    assert cashier.invoke_function("shop", "checkout", payload=b"paid").data == b"paid"
    assert _denied(lambda: cashier.invoke_function("shop", "admin", payload=b"x")).err_code == "AccessDenied"
    assert _denied(lambda: cashier.get_function("shop", "checkout")).err_code == "AccessDenied"


def test_explicit_deny_overrides_full_access(backend: RamBackend) -> None:
    with backend.root() as ram:
        ram.create_group("operators")
        ram.attach_policy("Group", "operators", "System", "AliyunFCFullAccess")
        ram.create_policy(
            "no-deletes",
            {"Version": "1", "Statement": [{"Effect": "Deny", "Action": "fc:Delete*", "Resource": "*"}]},
        )
        ram.attach_policy("Group", "operators", "Custom", "no-deletes")
    key = backend.user_with_key("operator")
    with backend.root() as ram:
        ram.add_user_to_group("operator", "operators")
    operator = _client(backend, *key)
    operator.create_service("operated")
    refused = _denied(lambda: operator.delete_service("operated"))
    assert (
        refused.err_code == "AccessDenied" and "explicitly denied by policy 'no-deletes'" in refused.message
    )


def test_sts_sessions_at_the_fc_api(backend: RamBackend) -> None:
    with backend.root() as ram:
        ram.create_role("deployer", account_trust(backend.config.account_id))
        ram.attach_policy("Role", "deployer", "System", "AliyunFCFullAccess")
    assumer = backend.user_with_key("assumer", "AliyunSTSAssumeRoleAccess")
    from rosengine.clients.ram import RamClient

    with RamClient(backend.endpoint, *assumer) as ram:
        role_arn = f"acs:ram::{backend.config.account_id}:role/deployer"
        credentials = ram.assume_role(role_arn, "deploy", duration_seconds=900)["Credentials"]
    session = (credentials["AccessKeyId"], credentials["AccessKeySecret"], credentials["SecurityToken"])
    _client(backend, *session).create_service("by-session")
    wrong = _denied(lambda: _client(backend, session[0], session[1], "CAIS.local.forged").list_services())
    assert wrong.status_code == 403 and wrong.err_code == "InvalidSecurityToken"
    backend.clock.advance(901)
    expired = _denied(lambda: _client(backend, *session).list_services())
    assert (
        expired.status_code == 403
        and expired.err_code == "InvalidSecurityToken"
        and "expired" in expired.message
    )


def test_unknown_and_disabled_keys(backend: RamBackend) -> None:
    assert _denied(lambda: _client(backend, "LTAIlocalunknown000000", "x").list_services()).err_code == (
        "InvalidAccessKeyID"
    )
    key = backend.user_with_key("suspended", "AliyunFCFullAccess")
    with backend.root() as ram:
        ram.update_access_key("suspended", key[0], "Inactive")
    assert _denied(lambda: _client(backend, *key).list_services()).err_code == "InvalidAccessKeyID"


def _sample_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", template).replace(":path", "")


def test_every_signed_fc_route_names_its_ram_action() -> None:
    unnamed = []
    for route in all_routes():
        if not isinstance(route, Route | WebSocketRoute):
            continue
        path = route.path
        if not path.startswith(("/2016-08-15/", "/2023-03-30/")) or "/proxy/" in path:
            continue
        if path.startswith(("/2016-08-15/local/health", "/2016-08-15/local/code/")):
            continue  # not signed: health checks and token-protected code downloads
        methods = (getattr(route, "methods", None) or {"GET"}) - {"HEAD"}
        for method in methods:
            if request_action(method, _sample_path(path)) is None:
                unnamed.append(f"{method} {path}")
    assert unnamed == []


@pytest.mark.parametrize("mode", ["soft", "off"])
def test_soft_and_off_modes_let_denied_requests_through(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, mode)
    with ram_backend(tmp_path, scheduler=FakeScheduler()) as backend:
        reader = _client(backend, *backend.user_with_key("lenient", "AliyunFCReadOnlyAccess"))
        with caplog.at_level("WARNING", logger="fcbackend.ram"):
            reader.create_service(f"made-in-{mode}")
        warned = [r.getMessage() for r in caplog.records if "would deny" in r.getMessage()]
        assert bool(warned) == (mode == "soft")
        if warned:
            assert "fc:CreateService" in warned[0]
        assert _denied(lambda: _client(backend, "LTAIlocalunknown000000", "x").list_services()).err_code == (
            "InvalidAccessKeyID"
        )


def test_an_invalid_mode_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "strict")
    with pytest.raises(ValueError, match="off, soft, enforce"), ram_backend(tmp_path):
        pass


def test_the_backend_key_file_is_the_root_of_the_account(backend: RamBackend) -> None:
    saved = json.loads((backend.config.state_dir / "credentials.json").read_text())
    with backend.root() as ram:
        assert saved["accessKeyId"] == backend.config.access_key_id
        assert ram.get_caller_identity()["IdentityType"] == "Account"
