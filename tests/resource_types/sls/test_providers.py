"""The ALIYUN::SLS::* providers against a real backend's SLS twin, through the engine's SLS client:
create, update, read, delete, and gone-is-deleted; machine groups and Logtail configs as records."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from resource_types.base import ProviderContext, ProviderError
from resource_types.sls.index import IndexProvider, index_document
from resource_types.sls.project import LogstoreProvider, ProjectProvider
from resource_types.sls.records import LogtailConfigProvider, MachineGroupProvider
from rosengine.clients.sls import SlsClient, SlsNotFound
from tests.support.cloud_twins import TwinBackend, twin_backend
from tests.support.fc_api import FakeScheduler

SCHEMAS = Path(__file__).resolve().parents[3] / "resource_types" / "sls"


def _attributes(name: str) -> set[str]:
    return set(json.loads((SCHEMAS / f"{name}.json").read_text())["attributes"])


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinBackend]:
    with twin_backend(tmp_path_factory.mktemp("sls-providers"), scheduler=FakeScheduler()) as running:
        yield running


@pytest.fixture
def sls(backend: TwinBackend) -> Iterator[SlsClient]:
    with backend.sls() as client:
        yield client


@pytest.fixture
def ctx(sls: SlsClient) -> Callable[[str], ProviderContext]:
    def build(resource_type: str) -> ProviderContext:
        return ProviderContext(
            stack_name="test",
            stack_id="stack-1",
            region="cn-hangzhou",
            account_id="1234567890123456",
            logical_id="Res",
            resource_type=resource_type,
            clients=lambda service: sls,
        )

    return build


def test_project_logstore_and_index_lifecycle(sls: SlsClient, ctx: Callable[[str], ProviderContext]) -> None:
    project = ProjectProvider().create(
        ctx("ALIYUN::SLS::Project"), {"Name": "prov-proj", "Description": "one"}
    )
    assert project.physical_id == "prov-proj" and set(project.attributes) == _attributes("project")
    ProjectProvider().update(
        ctx("ALIYUN::SLS::Project"), "prov-proj", {"Name": "prov-proj", "Description": "two"}, {}, {}
    )
    assert sls.get_project("prov-proj")["description"] == "two"
    ProjectProvider().update(
        ctx("ALIYUN::SLS::Project"),
        "prov-proj",
        {"Name": "prov-proj"},
        {"Name": "prov-proj", "Description": "two"},
        {},
    )
    assert sls.get_project("prov-proj")["description"] == ""  # Description's schema default

    props = {"ProjectName": "prov-proj", "LogstoreName": "prov-store", "TTL": 14, "ShardCount": 4}
    store = LogstoreProvider().create(ctx("ALIYUN::SLS::Logstore"), props)
    assert store.physical_id == "prov-store"
    assert store.attributes == {"ProjectName": "prov-proj", "LogstoreName": "prov-store"}
    assert set(store.attributes) == _attributes("logstore")
    assert (
        sls.get_logstore("prov-proj", "prov-store")["ttl"],
        sls.get_logstore("prov-proj", "prov-store")["shardCount"],
    ) == (14, 4)
    LogstoreProvider().update(
        ctx("ALIYUN::SLS::Logstore"), "prov-store", {**props, "PreserveStorage": True}, props, {}
    )
    assert sls.get_logstore("prov-proj", "prov-store")["ttl"] == 3650

    index_props = {
        "ProjectName": "prov-proj",
        "LogstoreName": "prov-store",
        "FullTextIndex": {"Enable": True, "Delimiter": ", "},
        "KeyIndices": [
            {"Name": "status", "Type": "long"},
            {"Name": "message", "Type": "text", "EnableAnalytics": False},
        ],
    }
    index = IndexProvider().create(ctx("ALIYUN::SLS::Index"), index_props)
    stored = sls.get_index("prov-proj", "prov-store")
    assert stored["line"]["token"] == [",", " "] and stored["keys"]["status"]["type"] == "long"
    assert stored["keys"]["message"]["doc_value"] is False
    assert IndexProvider().read(ctx("ALIYUN::SLS::Index"), index.physical_id, index_props) == {}

    IndexProvider().delete(ctx("ALIYUN::SLS::Index"), index.physical_id, index_props)
    with pytest.raises(SlsNotFound):
        sls.get_index("prov-proj", "prov-store")
    LogstoreProvider().delete(ctx("ALIYUN::SLS::Logstore"), "prov-store", props)
    assert LogstoreProvider().read(ctx("ALIYUN::SLS::Logstore"), "prov-store", props) is None
    ProjectProvider().delete(ctx("ALIYUN::SLS::Project"), "prov-proj", {"Name": "prov-proj"})
    assert ProjectProvider().read(ctx("ALIYUN::SLS::Project"), "prov-proj", {}) is None
    # already gone counts as deleted
    ProjectProvider().delete(ctx("ALIYUN::SLS::Project"), "prov-proj", {"Name": "prov-proj"})
    LogstoreProvider().delete(ctx("ALIYUN::SLS::Logstore"), "prov-store", props)


def test_errors_name_the_operation_and_slss_code(ctx: Callable[[str], ProviderContext]) -> None:
    with pytest.raises(ProviderError) as caught:
        LogstoreProvider().create(
            ctx("ALIYUN::SLS::Logstore"), {"ProjectName": "absent", "LogstoreName": "x-store"}
        )
    assert "ProjectNotExist" in caught.value.message and "creating logstore x-store" in caught.value.message
    with pytest.raises(ProviderError) as caught:
        ProjectProvider().create(ctx("ALIYUN::SLS::Project"), {"Name": "Upper-Case"})
    assert caught.value.code == "ParameterInvalid"


def test_an_index_with_nothing_to_index_is_refused_before_the_call() -> None:
    with pytest.raises(ProviderError) as caught:
        index_document({"ProjectName": "p", "LogstoreName": "l", "FullTextIndex": {"Enable": False}})
    assert "indexes nothing" in caught.value.message


def test_machine_groups_and_logtail_configs_are_records(
    sls: SlsClient, ctx: Callable[[str], ProviderContext]
) -> None:
    ProjectProvider().create(ctx("ALIYUN::SLS::Project"), {"Name": "rec-proj"})
    LogstoreProvider().create(
        ctx("ALIYUN::SLS::Logstore"), {"ProjectName": "rec-proj", "LogstoreName": "rec-store"}
    )
    group_props: dict[str, Any] = {
        "ProjectName": "rec-proj",
        "GroupName": "web-servers",
        "MachineIdentifyType": "ip",
        "MachineList": ["10.0.0.1", "10.0.0.2"],
        "GroupAttribute": '{"groupTopic": "web"}',
    }
    group = MachineGroupProvider().create(ctx("ALIYUN::SLS::MachineGroup"), group_props)
    assert group.physical_id == "web-servers" and set(group.attributes) == _attributes("machine_group")
    assert group.note.startswith("record:")
    assert sls.get_machine_group("rec-proj", "web-servers")["machineList"] == ["10.0.0.1", "10.0.0.2"]

    config_props: dict[str, Any] = {
        "ProjectName": "rec-proj",
        "LogstoreName": "rec-store",
        "LogtailConfigName": "nginx-access",
        "RawConfigData": {
            "inputType": "file",
            "inputDetail": {"logPath": "/var/log/nginx", "filePattern": "*.log"},
        },
    }
    config = LogtailConfigProvider().create(ctx("ALIYUN::SLS::LogtailConfig"), config_props)
    assert set(config.attributes) == _attributes("logtail_config") and config.note.startswith("record:")
    assert config.attributes["Endpoint"] == "cn-hangzhou.log.aliyuncs.com"
    assert config.attributes["AppliedMachineGroups"] == []
    stored = sls.get_logtail_config("rec-proj", "nginx-access")
    assert (
        stored["outputDetail"]["logstoreName"] == "rec-store"
        and stored["inputDetail"]["logPath"] == "/var/log/nginx"
    )

    clone = LogtailConfigProvider().create(
        ctx("ALIYUN::SLS::LogtailConfig"),
        {
            "ProjectName": "rec-proj",
            "LogstoreName": "rec-store",
            "LogtailConfigName": "nginx-copy",
            "CloneFrom": {"ProjectName": "rec-proj", "LogtailConfigName": "nginx-access"},
        },
    )
    assert sls.get_logtail_config("rec-proj", clone.physical_id)["inputDetail"]["filePattern"] == "*.log"

    MachineGroupProvider().delete(ctx("ALIYUN::SLS::MachineGroup"), "web-servers", group_props)
    LogtailConfigProvider().delete(ctx("ALIYUN::SLS::LogtailConfig"), "nginx-access", config_props)
    assert MachineGroupProvider().read(ctx("ALIYUN::SLS::MachineGroup"), "web-servers", group_props) is None
    assert (
        LogtailConfigProvider().read(ctx("ALIYUN::SLS::LogtailConfig"), "nginx-access", config_props) is None
    )


def test_a_machine_group_needs_its_project_and_name(ctx: Callable[[str], ProviderContext]) -> None:
    with pytest.raises(ProviderError) as caught:
        MachineGroupProvider().create(ctx("ALIYUN::SLS::MachineGroup"), {"GroupName": "g-1"})
    assert "ProjectName" in caught.value.message
