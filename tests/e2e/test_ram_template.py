"""templates/ram-function-role.yml through the real CLI: a role, a user with an access key, a
managed policy and attachments deploy; the function runs with its role's STS keys; the user's key
can invoke and nothing else; deleting the stack removes every RAM object it made."""

from __future__ import annotations

import json

import fc2
import pytest
from fc2.fc_exceptions import FcError

from rosengine.clients.ram import RamClient, RamNotFound
from tests.e2e.conftest import Ros


def _ram(ros: Ros) -> RamClient:
    info = json.loads((ros.home / "fc" / "backend.json").read_text())
    return RamClient(info["endpoint"], info["accessKeyId"], info["accessKeySecret"])


def test_ram_template_deploys_runs_and_deletes_cleanly(ros: Ros) -> None:
    ros.run("stack", "create", "-t", "templates/ram-function-role.yml", "-n", "iam")
    outputs = ros.outputs("iam")
    assert outputs["RoleArn"].endswith(":role/whoami-iam")
    with _ram(ros) as ram:
        attached = {(p["PolicyType"], p["PolicyName"]) for p in ram.list_policies_for("Role", "whoami-iam")}
        assert attached == {("Custom", "whoami-logs-iam"), ("System", "AliyunRAMReadOnlyAccess")}
        assert [p["PolicyName"] for p in ram.list_policies_for("User", "invoker-iam")] == [
            "invoke-whoami-iam"
        ]
    endpoint = json.loads((ros.home / "fc" / "backend.json").read_text())["endpoint"]
    invoker = fc2.Client(
        endpoint=endpoint,
        accessKeyID=outputs["InvokerAccessKeyId"],
        accessKeySecret=outputs["InvokerAccessKeySecret"],
        Timeout=30,
    )
    seen = json.loads(invoker.invoke_function(outputs["ServiceName"], "whoami", payload=b"").data)
    assert seen["accessKeyId"].startswith("STS.local") and seen["hasSecurityToken"] is True
    with pytest.raises(FcError) as denied:
        invoker.get_function(outputs["ServiceName"], "whoami")
    assert denied.value.status_code == 403 and denied.value.err_code == "AccessDenied"

    ros.run("stack", "delete", "-n", "iam")
    with _ram(ros) as ram:
        for lookup in (
            lambda: ram.get_role("whoami-iam"),
            lambda: ram.get_user("invoker-iam"),
            lambda: ram.get_policy("invoke-whoami-iam"),
            lambda: ram.get_policy("whoami-logs-iam"),
        ):
            with pytest.raises(RamNotFound):
                lookup()
