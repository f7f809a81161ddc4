"""FC 3.0 InvokeFunction through the official SDK (fake scheduler: the function echoes its
event, ``fail`` is a function error, ``busy`` a throttle): sync, ``x-fc-log-type: Tail``,
qualifiers, async with ``x-fc-async-task-id``, and the errors."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from darabonba.runtime import RuntimeOptions

from fcbackend.backend_config import MAX_ASYNC_PAYLOAD
from rosengine.clients.fc import FcApiError
from tests.support.fc3_backend import Fc3Backend, create_input, fc, fc3_backend, sdk_error
from tests.support.fc_api import wait_until


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fc3Backend]:
    with fc3_backend(tmp_path_factory.mktemp("fc3-invoke")) as b:
        b.sdk.create_function(create_input("echo"))
        yield b


def _invoke(
    backend: Fc3Backend, body: bytes, qualifier: str | None = None, **headers: str
) -> fc.InvokeFunctionResponse:
    return backend.sdk.invoke_function_with_options(
        "echo",
        fc.InvokeFunctionRequest(body=body, qualifier=qualifier),
        fc.InvokeFunctionHeaders(**headers),
        RuntimeOptions(),
    )


def test_sync_invoke_returns_the_function_bytes(backend: Fc3Backend) -> None:
    response = _invoke(backend, b'{"a": 1}')
    assert response.status_code == 200 and response.body.read() == b'{"a": 1}'
    assert (
        response.headers["x-fc-request-id"]
        and response.headers["x-fc-invocation-service-version"] == "LATEST"
    )
    spec, request = backend.scheduler.invoked[-1]
    assert (spec.function, spec.runtime, spec.memory_mb, spec.timeout_s) == ("echo", "python3.10", 512, 3)


def test_tail_log(backend: Fc3Backend) -> None:
    response = _invoke(backend, b"x", x_fc_log_type="Tail")
    log = base64.b64decode(response.headers["x-fc-log-result"]).decode()
    assert "FC Invoke Start RequestId" in log and "hello from echo" in log


def test_function_errors_are_200_with_error_type(backend: Fc3Backend) -> None:
    response = _invoke(backend, b"fail")
    assert response.status_code == 200 and response.headers["x-fc-error-type"] == "UnhandledInvocationError"
    assert b"boom" in response.body.read()


def test_throttle_is_a_fc3_json_error(backend: Fc3Backend) -> None:
    err = sdk_error(lambda: _invoke(backend, b"busy"))
    assert (err.status_code, err.code) == (429, "ResourceExhausted") and err.data["RequestId"]


def test_qualifiers_pick_versions_and_aliases(backend: Fc3Backend) -> None:
    version = backend.sdk.publish_function_version(
        "echo", fc.PublishFunctionVersionRequest(body=fc.PublishVersionInput(description="v"))
    ).body.version_id
    backend.sdk.create_alias(
        "echo", fc.CreateAliasRequest(body=fc.CreateAliasInput(alias_name="prod", version_id=version))
    )
    by_version = _invoke(backend, b"x", qualifier=version)
    assert by_version.headers["x-fc-invocation-service-version"] == version
    by_alias = _invoke(backend, b"x", qualifier="prod")
    assert by_alias.headers["x-fc-invocation-service-version"] == version
    assert backend.scheduler.invoked[-1][0].qualifier == "prod"
    err = sdk_error(lambda: _invoke(backend, b"x", qualifier="staging"))
    assert (err.status_code, err.code) == (404, "AliasNotFound") and "function 'echo'" in err.data["Message"]
    err = sdk_error(lambda: _invoke(backend, b"x", qualifier="99"))
    assert (err.status_code, err.code) == (404, "VersionNotFound")


def test_async_invoke_with_a_task_id(backend: Fc3Backend) -> None:
    response = _invoke(backend, b"work", x_fc_invocation_type="Async", x_fc_async_task_id="job_1")
    assert response.status_code == 202 and response.headers["x-fc-async-task-id"] == "job_1"
    task = wait_until(
        lambda: (
            (t := backend.sdk.get_async_task("echo", "job_1", fc.GetAsyncTaskRequest()).body).status
            == "Succeeded"
            and t
        )
    )
    assert (
        task.task_id == "job_1"
        and task.return_payload == "work"
        and task.function_arn.endswith("functions/echo")
    )
    listed = backend.sdk.list_async_tasks("echo", fc.ListAsyncTasksRequest(include_payload=True)).body.tasks
    assert [t.task_id for t in listed] == ["job_1"] and listed[0].task_payload == "work"
    again = sdk_error(
        lambda: _invoke(backend, b"x", x_fc_invocation_type="Async", x_fc_async_task_id="job_1")
    )
    assert (again.status_code, again.code) == (409, "AsyncTaskAlreadyExists")
    bad = sdk_error(
        lambda: _invoke(backend, b"x", x_fc_invocation_type="Async", x_fc_async_task_id="1bad id")
    )
    assert (bad.status_code, bad.code) == (400, "InvalidArgument")


def test_plain_async_invoke(backend: Fc3Backend) -> None:
    response = _invoke(backend, b"later", x_fc_invocation_type="Async")
    assert response.status_code == 202 and response.headers["x-fc-request-id"]
    wait_until(lambda: any(r.payload == b"later" for _, r in backend.scheduler.invoked))


def test_invoke_errors(backend: Fc3Backend) -> None:
    err = sdk_error(lambda: backend.sdk.invoke_function("nope", fc.InvokeFunctionRequest(body=b"x")))
    assert (err.status_code, err.code) == (404, "FunctionNotFound")
    err = sdk_error(lambda: _invoke(backend, b"x", x_fc_invocation_type="Later"))
    assert (err.status_code, err.code) == (400, "InvalidArgument")
    too_big = b"x" * (MAX_ASYNC_PAYLOAD + 1)
    err = sdk_error(lambda: _invoke(backend, too_big, x_fc_invocation_type="Async"))
    assert (err.status_code, err.code) == (400, "EntityTooLarge")


def test_invoke_through_the_routed_path_matches(backend: Fc3Backend) -> None:
    """A request whose Host could be a custom domain skips the warm path; with no such domain it
    reaches the router's invoke route, which answers the same way."""
    from rosengine.clients.fc3 import Fc3Client

    routed = Fc3Client(backend.endpoint, backend.config.access_key_id, backend.config.access_key_secret)
    routed.host = "api.example.com"
    try:
        result = routed.invoke_function("echo", b"abc", qualifier="LATEST", log_type="Tail")
        assert result.body == b"abc" and result.log
        with pytest.raises(FcApiError) as caught:
            routed.invoke_function("nope", b"x")
        assert (caught.value.status, caught.value.error_code) == (404, "FunctionNotFound")
    finally:
        routed.close()


def test_fc2_functions_are_invocable_as_svc_dollar_fn(backend: Fc3Backend) -> None:
    from tests.support.fc3_backend import zip_b64

    backend.fc2.create_service("old")
    backend.fc2.create_function(
        "old", "fn", {"zipFile": zip_b64()}, runtime="python3", handler="index.handler"
    )
    answer = backend.sdk.invoke_function("old$fn", fc.InvokeFunctionRequest(body=b"legacy"))
    assert answer.body.read() == b"legacy" and backend.scheduler.invoked[-1][0].service == "old"
