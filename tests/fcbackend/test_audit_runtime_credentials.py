"""Audit fixes 1 and 2: what a function sees as its credentials.

Real FC gives a function the temporary keys of its service's role and nothing when the service has
no role; it must never see the backend's own admin key. The keys come from the local STS: a role
that does not exist in the local RAM gives nothing, and the invocation log says why. The spec is
built by the real API (over a fake scheduler) and then run on a real process-driver instance, so
the test sees exactly what the function's code sees: ``context.credentials`` (snake_case and
FC's camelCase names) and the env.
"""

from __future__ import annotations

import json

import fc_api_support
import pytest
from fc_api_support import zip_b64
from instances_support import make_spec, request, run, scheduler, write_code

from rosengine.clients.fc import FcClient
from rosengine.clients.ram import RamClient

backend = fc_api_support.backend  # shared fixture

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
def client(backend):
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


def _spec_built_by_the_api(backend, client, service: str):
    client.invoke_function(service, "who", b"")
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


def test_service_without_role_gives_empty_credentials(backend, client, tmp_path):
    spec = _spec_built_by_the_api(backend, client, "creds_norole")
    assert spec.credentials == ("", "", "")
    seen = _seen_by_the_function(spec, tmp_path / "state")
    assert seen["snake"] == ["", "", ""]
    assert seen["camel"] == ["", "", ""]
    assert seen["env"] == ["", "", ""]
    admin = backend.config.access_key_secret
    assert admin not in json.dumps(seen)


def test_service_with_role_gives_sts_credentials_of_that_role(backend, client, tmp_path):
    spec = _spec_built_by_the_api(backend, client, "creds_role")
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


def test_service_whose_role_does_not_exist_gives_nothing_and_says_why(backend, client, tmp_path):
    spec = _spec_built_by_the_api(backend, client, "creds_missing_role")
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
