"""ALIYUN::SLS::MachineGroup and ALIYUN::SLS::LogtailConfig as records.

Why records: they configure Logtail, the agent that collects logs on ECS machines; locally there
are no such machines, so nothing would act on them. They are still stored by the SLS twin (through
its machine-group and config API, so they can be listed and read back with the SDK), keep every
attribute of their schemas, and say "record" in their status reason.

Attributes: a machine group's ``GroupName`` and ``ProjectName``; a Logtail config's
``LogtailConfigName``, ``Endpoint`` (the SLS endpoint of the stack's region, INFERRED:
``<region>.log.aliyuncs.com``) and ``AppliedMachineGroups`` (the groups the twin has it applied to).
``CloneFrom`` copies the source config's ``inputType``/``inputDetail`` under the new name.
"""

from __future__ import annotations

import json
from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider, read_answer
from resource_types.sls.sls_api import (
    RECORD_REASON,
    delete_ignoring_missing,
    drop_none,
    lookup,
    required,
    sls_errors,
)


def _group_attribute(value: Any) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(str(value))
    except ValueError:
        raise ProviderError(
            f"ALIYUN::SLS::MachineGroup: GroupAttribute must be JSON text, got {value!r}",
            code="InvalidParameter",
        ) from None
    if not isinstance(parsed, dict):
        raise ProviderError(
            "ALIYUN::SLS::MachineGroup: GroupAttribute must be a JSON object", code="InvalidParameter"
        )
    return parsed


def _group_document(name: str, properties: dict[str, Any]) -> dict[str, Any]:
    return drop_none(
        {
            "groupName": name,
            "groupType": properties.get("GroupType") or "",
            "machineIdentifyType": properties.get("MachineIdentifyType") or "ip",
            "groupAttribute": _group_attribute(properties.get("GroupAttribute")),
            "machineList": [str(m) for m in properties.get("MachineList") or []],
        }
    )


class MachineGroupProvider(ResourceProvider):
    type_name = "ALIYUN::SLS::MachineGroup"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        project = required(properties, "ProjectName", self.type_name)
        name = required(properties, "GroupName", self.type_name)
        with sls_errors(f"recording machine group {name} in SLS project {project}"):
            ctx.client("sls").create_machine_group(project, _group_document(name, properties))
        return ProviderResult(
            physical_id=name,
            attributes={"GroupName": name, "ProjectName": project},
            note=RECORD_REASON.format(what="the machine group"),
        )

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        project = required(properties, "ProjectName", self.type_name)
        with sls_errors(f"updating the record of machine group {physical_id}"):
            ctx.client("sls").update_machine_group(
                project, physical_id, _group_document(physical_id, properties)
            )
        return ProviderResult(
            physical_id=physical_id,
            attributes={"GroupName": physical_id, "ProjectName": project},
            note=RECORD_REASON.format(what="the machine group"),
        )

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        project = str(properties.get("ProjectName") or "")
        delete_ignoring_missing(
            f"deleting the record of machine group {physical_id}",
            lambda: ctx.client("sls").delete_machine_group(project, physical_id),
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        project = str(properties.get("ProjectName") or "")
        name = physical_id or str(properties.get("GroupName") or "")
        if (
            not project
            or not name
            or lookup(lambda: ctx.client("sls").get_machine_group(project, name)) is None
        ):
            return None
        attributes = {"GroupName": name, "ProjectName": project}
        return read_answer(physical_id, name, attributes)


class LogtailConfigProvider(ResourceProvider):
    type_name = "ALIYUN::SLS::LogtailConfig"

    def _document(self, ctx: ProviderContext, name: str, properties: dict[str, Any]) -> dict[str, Any]:
        project = str(properties["ProjectName"])
        raw = dict(properties.get("RawConfigData") or {})
        clone = properties.get("CloneFrom")
        if clone:
            source_project, source = str(clone["ProjectName"]), str(clone["LogtailConfigName"])
            with sls_errors(f"reading Logtail config {source} of SLS project {source_project} to clone it"):
                source_doc = ctx.client("sls").get_logtail_config(source_project, source)
            raw = {**{k: v for k, v in source_doc.items() if k in ("inputType", "inputDetail")}, **raw}
        return {
            **raw,
            "configName": name,
            "outputType": "LogService",
            "outputDetail": {
                "logstoreName": str(properties["LogstoreName"]),
                "endpoint": _endpoint(ctx),
                "projectName": project,
            },
        }

    def _result(self, ctx: ProviderContext, project: str, name: str) -> ProviderResult:
        with sls_errors(f"reading the machine groups of Logtail config {name}"):
            groups = ctx.client("sls").applied_machine_groups(project, name)
        return ProviderResult(
            physical_id=name,
            attributes={
                "LogtailConfigName": name,
                "Endpoint": _endpoint(ctx),
                "AppliedMachineGroups": groups,
            },
            note=RECORD_REASON.format(what="the Logtail config"),
        )

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        project, name = str(properties["ProjectName"]), str(properties["LogtailConfigName"])
        document = self._document(ctx, name, properties)
        with sls_errors(f"recording Logtail config {name} in SLS project {project}"):
            ctx.client("sls").create_logtail_config(project, document)
        return self._result(ctx, project, name)

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        project = str(properties["ProjectName"])
        document = self._document(ctx, physical_id, properties)
        with sls_errors(f"updating the record of Logtail config {physical_id}"):
            ctx.client("sls").update_logtail_config(project, physical_id, document)
        return self._result(ctx, project, physical_id)

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        project = str(properties.get("ProjectName") or "")
        delete_ignoring_missing(
            f"deleting the record of Logtail config {physical_id}",
            lambda: ctx.client("sls").delete_logtail_config(project, physical_id),
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        project = str(properties.get("ProjectName") or "")
        name = physical_id or str(properties.get("LogtailConfigName") or "")
        if (
            not project
            or not name
            or lookup(lambda: ctx.client("sls").get_logtail_config(project, name)) is None
        ):
            return None
        attributes = self._result(ctx, project, name).attributes
        return read_answer(physical_id, name, attributes)


def _endpoint(ctx: ProviderContext) -> str:
    return f"{ctx.region or 'cn-hangzhou'}.log.aliyuncs.com"
