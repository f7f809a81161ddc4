"""The engine never starts the FC backend: it gets clients of a running one, or a clear error.

Starting the backend is the CLI's job (``rosengine.cli.local_backend``); the engine is handed that
as ``ensure_backend``, and without it a provider asking for a client of a backend that is not
running learns what to do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rosengine.clients.fc import FcBackendUnavailable
from rosengine.engine.clients import ClientFactory


@pytest.fixture
def no_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ROS_HOME", str(tmp_path))
    monkeypatch.delenv("ROS_FC_ENDPOINT", raising=False)
    return tmp_path


@pytest.mark.parametrize("service", ["fc", "fc3", "oss", "ram", "sls"])
def test_a_client_of_no_running_backend_says_how_to_start_one(no_backend: Path, service: str) -> None:
    factory = ClientFactory()
    with pytest.raises(FcBackendUnavailable, match="ros fc start"):
        factory(service)
    assert not (no_backend / "fc" / "backend.json").exists(), "nothing started a backend"


def test_the_backend_is_ensured_once_per_client_before_it_is_built(
    no_backend: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def ensure() -> None:
        calls.append("ensure")
        monkeypatch.setenv("ROS_FC_ENDPOINT", "http://127.0.0.1:9")  # what starting one would give

    factory = ClientFactory(ensure)
    client = factory("fc")
    assert calls == ["ensure"] and client.endpoint == "http://127.0.0.1:9"
    assert factory("fc") is client and calls == ["ensure"]
    factory.close()


def test_builders_given_by_the_caller_need_no_backend(no_backend: Path) -> None:
    sentinel = object()
    factory = ClientFactory(lambda: pytest.fail("no backend is needed"), builders={"fc": lambda: sentinel})
    assert factory("fc") is sentinel
