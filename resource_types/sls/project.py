"""ALIYUN::SLS::Project and ALIYUN::SLS::Logstore on the local SLS twin.

Ref of a project is its name, of a logstore its logstore name (INFERRED: the corpus's templates
read both through Fn::GetAtt); the project of a logstore comes from its properties.
``PreserveStorage`` keeps logs for 3650 days, SLS's "forever". Tags of a project are kept in the
stack only (the twin has no tag API).
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider, read_answer
from resource_types.sls.sls_api import delete_ignoring_missing, drop_none, lookup, sls_errors


class ProjectProvider(ResourceProvider):
    type_name = "ALIYUN::SLS::Project"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        name = str(properties["Name"])
        fields = drop_none(
            {
                "resourceGroupId": properties.get("ResourceGroupId"),
                "dataRedundancyType": properties.get("DataRedundancyType"),
            }
        )
        with sls_errors(f"creating SLS project {name}"):
            ctx.client("sls").create_project(name, str(properties.get("Description") or ""), **fields)
        return ProviderResult(physical_id=name, attributes={"Name": name})

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        after = self.properties_after_update(properties, previous_properties)
        with sls_errors(f"updating SLS project {physical_id}"):
            # UpdateProject replaces the description; one the template never set is create's "".
            ctx.client("sls").update_project(physical_id, str(after.get("Description") or ""))
        return ProviderResult(physical_id=physical_id, attributes={"Name": physical_id})

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        delete_ignoring_missing(
            f"deleting SLS project {physical_id}", lambda: ctx.client("sls").delete_project(physical_id)
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        name = physical_id or str(properties.get("Name") or "")
        if not name or lookup(lambda: ctx.client("sls").get_project(name)) is None:
            return None
        return read_answer(physical_id, name, {"Name": name})


def _logstore_fields(properties: dict[str, Any]) -> dict[str, Any]:
    ttl = properties.get("TTL")
    if properties.get("PreserveStorage"):
        ttl = 3650
    encrypt = properties.get("EncryptConf")
    return drop_none(
        {
            "ttl": int(ttl) if ttl is not None else None,
            "shardCount": int(properties["ShardCount"]) if properties.get("ShardCount") is not None else None,
            "autoSplit": properties.get("AutoSplit"),
            "maxSplitShard": int(properties["MaxSplitShard"])
            if properties.get("MaxSplitShard") is not None
            else None,
            "appendMeta": properties.get("AppendMeta"),
            "enable_tracking": properties.get("EnableTracking"),
            "mode": properties.get("Mode"),
            "encrypt_conf": {
                "enable": encrypt.get("Enable"),
                "encrypt_type": encrypt.get("EncryptType"),
                **(
                    {"user_cmk_info": {k[0].lower() + k[1:]: v for k, v in encrypt["UserCmkInfo"].items()}}
                    if encrypt.get("UserCmkInfo")
                    else {}
                ),
            }
            if isinstance(encrypt, dict)
            else None,
        }
    )


class LogstoreProvider(ResourceProvider):
    type_name = "ALIYUN::SLS::Logstore"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        project, name = str(properties["ProjectName"]), str(properties["LogstoreName"])
        with sls_errors(f"creating logstore {name} in SLS project {project}"):
            ctx.client("sls").create_logstore(project, name, **_logstore_fields(properties))
        return ProviderResult(physical_id=name, attributes={"ProjectName": project, "LogstoreName": name})

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        project, name = str(properties["ProjectName"]), physical_id
        fields = _logstore_fields(properties)
        fields.pop("shardCount", None)
        fields.pop("encrypt_conf", None)
        with sls_errors(f"updating logstore {name} in SLS project {project}"):
            ctx.client("sls").update_logstore(project, name, **fields)
        return ProviderResult(
            physical_id=physical_id, attributes={"ProjectName": project, "LogstoreName": name}
        )

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        project, name = str(properties.get("ProjectName") or ""), physical_id
        delete_ignoring_missing(
            f"deleting logstore {name} of SLS project {project}",
            lambda: ctx.client("sls").delete_logstore(project, name),
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        project = str(properties.get("ProjectName") or "")
        name = physical_id or str(properties.get("LogstoreName") or "")
        if not project or not name or lookup(lambda: ctx.client("sls").get_logstore(project, name)) is None:
            return None
        attributes = {"ProjectName": project, "LogstoreName": name}
        return read_answer(physical_id, name, attributes)
