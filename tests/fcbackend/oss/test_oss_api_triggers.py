"""Writes through the OSS API (``oss2``, ``ros oss``) fire OSS triggers: one path for every writer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import oss2
import pytest
from click.testing import CliRunner

from fcbackend.app import create_app
from fcbackend.backend_config import BackendConfig
from fcbackend.server import ThreadedServer
from rosengine.cli import cli
from rosengine.clients.fc import FcClient
from tests.support.fc_api import FakeScheduler, wait_until, zip_b64


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, BackendConfig, FakeScheduler]]:
    state_dir: Path = tmp_path_factory.mktemp("oss-triggers")
    config = BackendConfig.for_state_dir(state_dir, flush_interval_s=0.05)
    scheduler = FakeScheduler()
    server = ThreadedServer(create_app(config, scheduler=scheduler)).start()
    with FcClient(server.endpoint, config.access_key_id, config.access_key_secret, timeout=10) as fc:
        fc.create_service("svc")
        fc.create_function(
            "svc", "on-upload", {"zipFile": zip_b64()}, runtime="python3", handler="index.handler"
        )
        fc.create_trigger(
            "svc",
            "on-upload",
            triggerName="uploads",
            triggerType="oss",
            sourceArn=f"acs:oss:{config.region}:{config.account_id}:inbox",
            triggerConfig={"events": ["oss:ObjectCreated:*", "oss:ObjectRemoved:DeleteObjects"]},
        )
    try:
        yield server.endpoint, config, scheduler
    finally:
        server.stop()


def _events(scheduler: FakeScheduler) -> list[dict[str, Any]]:
    return [
        json.loads(req.payload)["events"][0]
        for spec, req in list(scheduler.invoked)
        if spec.function == "on-upload"
    ]


def test_oss2_writes_fire_the_trigger_with_request_id_and_caller(
    backend: tuple[str, BackendConfig, FakeScheduler],
) -> None:
    endpoint, config, scheduler = backend
    inbox = oss2.Bucket(oss2.Auth(config.access_key_id, config.access_key_secret), endpoint, "inbox")
    inbox.create_bucket()
    put = inbox.put_object("report.csv", b"a,b\n")
    event = wait_until(lambda: _events(scheduler) and _events(scheduler)[0])
    assert event["eventName"] == "ObjectCreated:PutObject" and event["oss"]["object"]["key"] == "report.csv"
    assert event["oss"]["object"]["eTag"] == put.etag and event["oss"]["object"]["size"] == 4
    assert event["responseElements"]["requestId"] == put.request_id
    assert event["userIdentity"]["principalId"] == config.access_key_id
    inbox.append_object("log.txt", 0, b"x")
    upload = inbox.init_multipart_upload("big.bin").upload_id
    part = inbox.upload_part("big.bin", upload, 1, b"y")
    inbox.complete_multipart_upload("big.bin", upload, [oss2.models.PartInfo(1, part.etag)])
    inbox.copy_object("inbox", "report.csv", "copy.csv")
    inbox.batch_delete_objects(["copy.csv"])
    wanted = [
        "ObjectCreated:PutObject",
        "ObjectCreated:AppendObject",
        "ObjectCreated:CompleteMultipartUpload",
        "ObjectCreated:CopyObject",
        "ObjectRemoved:DeleteObjects",
    ]
    wait_until(lambda: sorted(e["eventName"] for e in _events(scheduler)) == sorted(wanted))


def test_ros_oss_cli_goes_through_the_api_and_fires_triggers(
    backend: tuple[str, BackendConfig, FakeScheduler], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, config, scheduler = backend
    monkeypatch.setenv("ROS_FC_ENDPOINT", endpoint)
    monkeypatch.setenv("ROS_FC_ACCESS_KEY_ID", config.access_key_id)
    monkeypatch.setenv("ROS_FC_ACCESS_KEY_SECRET", config.access_key_secret)
    local = tmp_path / "cli.txt"
    local.write_text("from the cli")
    runner = CliRunner()
    done = runner.invoke(cli, ["oss", "cp", str(local), "oss://inbox/cli/"])
    assert done.exit_code == 0, done.output
    wait_until(lambda: any(e["oss"]["object"]["key"] == "cli/cli.txt" for e in _events(scheduler)))
    listed = runner.invoke(cli, ["oss", "ls", "oss://inbox/cli/"])
    assert "oss://inbox/cli/cli.txt" in listed.output
    missing = runner.invoke(cli, ["oss", "cp", "oss://inbox/none.txt", str(tmp_path / "x")])
    assert missing.exit_code == 1 and "NoSuchKey" in missing.output
