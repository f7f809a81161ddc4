"""Registry of intrinsic functions: long name / alias / YAML tag -> :class:`IntrinsicFunction`.

Each function module under ``rosengine/functions/`` calls :func:`register` at import time.
:data:`MODULES` says which module defines each long name, so a lookup imports only the module of
the function asked for (importing all of them cost more than checking a small template);
:func:`load_all` imports every module of the package, for :func:`names` and :func:`tags`, and a test
checks the table against what it registers. Adding a function is adding a file and its row.
"""

from __future__ import annotations

import importlib
import pkgutil

from rosengine.functions.base import IntrinsicFunction

_BY_NAME: dict[str, IntrinsicFunction] = {}
_BY_TAG: dict[str, IntrinsicFunction] = {}
_loaded = False
_SKIP = {"base", "registry", "jq_runner"}  # jq_runner: the process Fn::Jq runs jq in

# long name (or alias) -> the module of rosengine.functions that registers it
MODULES: dict[str, str] = {
    "Fn::Add": "add",
    "Fn::And": "and_",
    "Fn::Any": "any",
    "Fn::Avg": "avg",
    "Fn::Base64": "base64_encode",
    "Fn::Base64Decode": "base64_decode",
    "Fn::Base64Encode": "base64_encode",
    "Fn::Calculate": "calculate",
    "Fn::Cidr": "cidr",
    "Fn::Contains": "contains",
    "Fn::EachMemberIn": "each_member_in",
    "Fn::Equals": "contains",
    "Fn::FindInMap": "find_in_map",
    "Fn::FormatTime": "format_time",
    "Fn::GetAZs": "get_azs",
    "Fn::GetAtt": "get_att",
    "Fn::GetJsonValue": "get_json_value",
    "Fn::GetStackOutput": "get_stack_output",
    "Fn::If": "if_",
    "Fn::Indent": "indent",
    "Fn::Index": "index",
    "Fn::Join": "join",
    "Fn::Jq": "jq",
    "Fn::Length": "length",
    "Fn::ListMerge": "list_merge",
    "Fn::MarketplaceImage": "marketplace_image",
    "Fn::MatchPattern": "match_pattern",
    "Fn::Max": "max",
    "Fn::MemberListToMap": "member_list_to_map",
    "Fn::MergeMap": "merge_map",
    "Fn::MergeMapToList": "merge_map_to_list",
    "Fn::Min": "min",
    "Fn::Not": "not_",
    "Fn::Or": "or_",
    "Fn::Replace": "replace",
    "Fn::ResourceFacade": "resource_facade",
    "Fn::Select": "select",
    "Fn::SelectMapList": "select_map_list",
    "Fn::Split": "split",
    "Fn::Str": "str",
    "Fn::Sub": "sub",
    "Fn::Test": "test",
    "Fn::TransformNamespace": "transform_namespace",
    "Ref": "ref",
}
# YAML tag (the long name without ``Fn::``) -> module
_TAG_MODULES: dict[str, str] = {name.removeprefix("Fn::"): module for name, module in MODULES.items()}


def register(fn: IntrinsicFunction) -> IntrinsicFunction:
    for name in (fn.name, *fn.aliases):
        _BY_NAME[name] = fn
    _BY_TAG[fn.tag] = fn
    return fn


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    import rosengine.functions as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name not in _SKIP and not info.name.startswith("_"):
            importlib.import_module(f"{pkg.__name__}.{info.name}")
    _loaded = True


def _import(module: str | None) -> None:
    if module is not None:
        importlib.import_module(f"{__package__}.{module}")


def get(name: str) -> IntrinsicFunction | None:
    """Look up by long name (``Fn::Join``, ``Ref``, or an alias like ``Fn::Base64``)."""
    if name not in _BY_NAME:
        _import(MODULES.get(name))
    return _BY_NAME.get(name)


def by_tag(tag: str) -> IntrinsicFunction | None:
    """Look up by YAML short tag without ``!`` (``Join``, ``Ref``, ``GetAtt``)."""
    if tag not in _BY_TAG:
        _import(_TAG_MODULES.get(tag))
    return _BY_TAG.get(tag)


def names() -> list[str]:
    load_all()
    return sorted(_BY_NAME)


def tags() -> list[str]:
    load_all()
    return sorted(_BY_TAG)
