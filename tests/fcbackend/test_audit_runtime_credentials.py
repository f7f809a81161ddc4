"""Audit fixes 1 and 2, issue 17: what a function sees as its credentials.

Real FC gives a function the temporary keys of its service's role and nothing when the service has
no role; it must never see the backend's own admin key, with or without a role. The spec is built
by the real API (over a fake scheduler) and then run on a real process-driver instance, so the test
sees exactly what the function's code sees: ``context.credentials`` (snake_case and FC's camelCase
names) and the env.
"""

from __future__ import annotations

import json

import fc_api_support
import pytest
from fc_api_support import zip_b64
from instances_support import make_spec, request, run, scheduler, write_code

from rosengine.clients.fc import FcClient

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


@pytest.fixture(scope="module")
def client(backend):
    with FcClient(backend.endpoint, backend.config.access_key_id, backend.config.access_key_secret) as c:
        c.create_service("creds_norole")
        c.create_service("creds_role", role="acs:ram::123456789:role/fc-role")
        for service in ("creds_norole", "creds_role"):
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


def test_service_with_a_made_up_role_never_gives_the_backends_key(backend, client, tmp_path):
    """Issue 17: any role (this one names no real RAM role) handed the function the backend's own
    root key, with which it could read other services' code through the API. Until the role's
    own STS credentials exist locally, a role gives no key at all."""
    spec = _spec_built_by_the_api(backend, client, "creds_role")
    assert spec.role == "acs:ram::123456789:role/fc-role"
    assert spec.credentials == ("", "", "")
    seen = _seen_by_the_function(spec, tmp_path / "state")
    assert seen["snake"] == seen["camel"] == seen["env"] == ["", "", ""]
    for secret in (backend.config.access_key_id, backend.config.access_key_secret):
        assert secret not in json.dumps(seen)


def test_camel_case_credential_names_match_snake_case(tmp_path):
    """The corpus template fc-web-file-backend-service.yml reads ``creds.accessKeyId`` etc."""
    code = write_code(tmp_path, {"index.py": CREDENTIALS_CODE})
    spec = make_spec(code, credentials=("AK", "SK", "STS"))
    seen = _seen_by_the_function(spec, tmp_path / "state")
    assert seen["camel"] == seen["snake"] == ["AK", "SK", "STS"]
