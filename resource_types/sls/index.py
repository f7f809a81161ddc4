"""ALIYUN::SLS::Index on the local SLS twin: a logstore's full-text and field indexes.

The ROS properties become the SLS API's index document
(https://www.alibabacloud.com/help/en/sls/developer-reference/api-sls-2020-12-30-createindex):
``FullTextIndex`` → ``line`` (only when ``Enable``), ``KeyIndices`` → ``keys`` by name, a
``Delimiter`` string → its characters as the ``token`` list (SLS's default delimiters when
unset), ``EnableAnalytics`` → ``doc_value``, ``IncludeChinese`` → ``chn``, ``JsonKeyIndices`` →
``json_keys``, ``LogReduce`` → ``log_reduce``. Ref returns the logstore name (INFERRED: ROS
documents no Ref for an index); the project comes from the properties.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider, read_answer
from resource_types.sls.sls_api import delete_ignoring_missing, drop_none, lookup, sls_errors

DEFAULT_DELIMITERS = ",'\";=()[]{}?@&<>/:\n\t\r "


def _tokens(delimiter: Any) -> list[str]:
    text = DEFAULT_DELIMITERS if delimiter in (None, "") else str(delimiter)
    return list(dict.fromkeys(text))


def _key_index(key: dict[str, Any]) -> dict[str, Any]:
    kind = str(key.get("Type") or "text")
    doc: dict[str, Any] = {"type": kind, "doc_value": bool(key.get("EnableAnalytics", True))}
    if kind in ("text", "json"):
        doc.update(token=_tokens(key.get("Delimiter")), caseSensitive=bool(key.get("CaseSensitive", False)))
        doc["chn"] = bool(key.get("IncludeChinese", False))
    if key.get("Alias"):
        doc["alias"] = key["Alias"]
    if kind == "json":
        doc["index_all"] = True
        doc["max_depth"] = -1
        doc["json_keys"] = {
            str(sub["Name"]): drop_none(
                {
                    "type": sub.get("Type"),
                    "alias": sub.get("Alias"),
                    "doc_value": bool(sub.get("EnableAnalytics", True)),
                }
            )
            for sub in key.get("JsonKeyIndices") or []
        }
    return doc


def index_document(properties: dict[str, Any]) -> dict[str, Any]:
    """The SLS API's index document for the ROS properties."""
    full_text = properties.get("FullTextIndex") or {}
    doc: dict[str, Any] = {}
    if full_text.get("Enable"):
        doc["line"] = {
            "token": _tokens(full_text.get("Delimiter")),
            "caseSensitive": bool(full_text.get("CaseSensitive", False)),
            "chn": bool(full_text.get("IncludeChinese", False)),
        }
    keys = {str(k["Name"]): _key_index(k) for k in properties.get("KeyIndices") or []}
    if keys:
        doc["keys"] = keys
    if properties.get("LogReduce") is not None:
        doc["log_reduce"] = bool(properties["LogReduce"])
    if "line" not in doc and "keys" not in doc:
        raise ProviderError(
            "ALIYUN::SLS::Index: enable FullTextIndex or give KeyIndices: "
            "an index with neither indexes nothing",
            code="InvalidParameter",
        )
    return doc


class IndexProvider(ResourceProvider):
    type_name = "ALIYUN::SLS::Index"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        project, logstore = str(properties["ProjectName"]), str(properties["LogstoreName"])
        document = index_document(properties)
        with sls_errors(f"creating the index of logstore {logstore} in SLS project {project}"):
            ctx.client("sls").create_index(project, logstore, document)
        return ProviderResult(physical_id=logstore)

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        project = str(properties["ProjectName"])
        document = index_document(properties)
        with sls_errors(f"updating the index of logstore {physical_id} in SLS project {project}"):
            ctx.client("sls").update_index(project, physical_id, document)
        return ProviderResult(physical_id=physical_id)

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        project = str(properties.get("ProjectName") or "")
        delete_ignoring_missing(
            f"deleting the index of logstore {physical_id} in SLS project {project}",
            lambda: ctx.client("sls").delete_index(project, physical_id),
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        project = str(properties.get("ProjectName") or "")
        logstore = physical_id or str(properties.get("LogstoreName") or "")
        if (
            not project
            or not logstore
            or lookup(lambda: ctx.client("sls").get_index(project, logstore)) is None
        ):
            return None
        return read_answer(physical_id, logstore, {})
