"""ALIYUN::NAS::FileSystem as a directory that functions mount through their NAS config: shared
between functions, kept across a backend restart, removed with the stack unless retained, and
mounted by the process driver too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fcbackend.app import create_app
from fcbackend.backend_config import BackendConfig
from fcbackend.instances.launchers import private_mounts_work
from fcbackend.server import ThreadedServer
from rosengine.clients.fc import FcClient
from rosengine.engine import StackEngine
from tests.support.live_stack import LiveStack, resource, template, unique

WRITE = (
    "def handler(event, context):\n"
    "    open('/mnt/shared/note.txt', 'w').write(event.decode())\n"
    "    return 'ok'\n"
)
READ = "def handler(event, context):\n    return open('/mnt/shared/note.txt').read()\n"


def _function(name: str, code: str) -> dict[str, Any]:
    return {
        "Type": "ALIYUN::FC::Function",
        "Properties": {
            "ServiceName": {"Fn::GetAtt": ["Service", "ServiceName"]},
            "FunctionName": name,
            "Handler": "index.handler",
            "Runtime": "python3.10",
            "Code": {"SourceCode": code},
        },
    }


def _body(service: str, retain: bool = False) -> str:
    fs: dict[str, Any] = {
        "Type": "ALIYUN::NAS::FileSystem",
        "Properties": {"ProtocolType": "NFS", "StorageType": "Capacity"},
    }
    if retain:
        fs["DeletionPolicy"] = "Retain"
    return template(
        {
            "Fs": fs,
            "Target": {
                "Type": "ALIYUN::NAS::MountTarget",
                "Properties": {
                    "FileSystemId": {"Fn::GetAtt": ["Fs", "FileSystemId"]},
                    "NetworkType": "Vpc",
                    "AccessGroupName": "DEFAULT_VPC_GROUP_NAME",
                },
            },
            "Service": {
                "Type": "ALIYUN::FC::Service",
                "Properties": {
                    "ServiceName": service,
                    "NasConfig": {
                        "UserId": 10003,
                        "GroupId": 10003,
                        "MountPoints": [
                            {
                                "ServerAddr": {"Fn::Sub": "${Target.MountTargetDomain}:/share"},
                                "MountDir": "/mnt/shared",
                            }
                        ],
                    },
                },
            },
            "Writer": _function("writer", WRITE),
            "Reader": _function("reader", READ),
        }
    )


def _call(fc: FcClient, service: str, function: str, payload: bytes = b"") -> str:
    result = fc.invoke_function(service, function, payload)
    assert result.error_type is None, result.body
    return result.body.decode()


def test_functions_share_a_file_system_that_goes_with_the_stack(
    stack_engine: StackEngine, live_stack: LiveStack
) -> None:
    service = unique("nas")
    stack = stack_engine.create_stack("nas", _body(service))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    fs = resource(stack_engine, "nas", "Fs").physical_id
    domain = resource(stack_engine, "nas", "Target").attributes["MountTargetDomain"]
    assert domain.startswith(f"{fs}-") and domain.endswith(".cn-hangzhou.nas.aliyuncs.com")
    assert _call(live_stack.fc, service, "writer", b"hello from writer") == "ok"
    assert _call(live_stack.fc, service, "reader") == "hello from writer"
    directory = live_stack.config.state_dir / "nas" / str(fs)
    assert (directory / "share" / "note.txt").read_text() == "hello from writer"
    assert stack_engine.delete_stack("nas").status == "DELETE_COMPLETE"
    assert not directory.exists()


def test_retained_file_systems_stay(stack_engine: StackEngine, live_stack: LiveStack) -> None:
    service = unique("nas")
    assert stack_engine.create_stack("kept", _body(service, retain=True)).status == "CREATE_COMPLETE"
    fs = resource(stack_engine, "kept", "Fs").physical_id
    _call(live_stack.fc, service, "writer", b"keep me")
    assert stack_engine.delete_stack("kept").status == "DELETE_COMPLETE"
    assert (live_stack.config.state_dir / "nas" / str(fs) / "share" / "note.txt").read_text() == "keep me"


def _serve(state_dir: Path, driver: str | None = None) -> tuple[ThreadedServer, FcClient, BackendConfig]:
    config = BackendConfig.for_state_dir(state_dir, flush_interval_s=0.02, driver=driver)
    server = ThreadedServer(create_app(config)).start()
    return (
        server,
        FcClient(server.endpoint, config.access_key_id, config.access_key_secret, timeout=60),
        config,
    )


def test_files_survive_a_backend_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROS_HOME", str(tmp_path / "home"))
    state = tmp_path / "backend"
    server, fc, config = _serve(state)
    live = LiveStack(server.endpoint, config, fc)
    engine = live.engine(tmp_path / "state.db")
    try:
        assert engine.create_stack("restart", _body("nas-restart")).status == "CREATE_COMPLETE"
        _call(fc, "nas-restart", "writer", b"before the restart")
    finally:
        fc.close()
        server.stop()
    server, fc, _ = _serve(state)
    try:
        assert _call(fc, "nas-restart", "reader") == "before the restart"
    finally:
        fc.close()
        server.stop()
        engine.store.close()


def test_the_process_driver_mounts_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    works, why = private_mounts_work()
    if not works:
        pytest.skip(f"a plain process cannot get a mount namespace here: {why}")
    monkeypatch.setenv("ROS_HOME", str(tmp_path / "home"))
    server, fc, config = _serve(tmp_path / "backend", driver="process")
    engine = LiveStack(server.endpoint, config, fc).engine(tmp_path / "state.db")
    try:
        assert engine.create_stack("proc", _body("nas-process")).status == "CREATE_COMPLETE"
        assert _call(fc, "nas-process", "writer", b"from a process") == "ok"
        assert _call(fc, "nas-process", "reader") == "from a process"
        assert not Path("/mnt/shared").exists()  # mounted in the function's namespace, not the host's
        rows = json.loads(
            json.dumps([i["driver"] for i in fc.request("GET", "/local/instances").json()["instances"]])
        )
        assert set(rows) == {"process"}
    finally:
        engine.store.close()
        fc.close()
        server.stop()
