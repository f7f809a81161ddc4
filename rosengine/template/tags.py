"""YAML short tags (``!Join``) and the long function names they stand for.

Why a fixed table here as well as the function registry: the loader must recognise every tag of
docs/reference/ros-template-language.md#calls-and-short-tags even when a function is not implemented
(evaluation then reports it precisely, with a location), and a problem while importing a function module must
never stop a template from loading. Tags registered by function modules beyond this list are honoured too.
"""

from __future__ import annotations

SHORT_TAGS: tuple[str, ...] = (
    "Ref",
    "GetAtt",
    "Sub",
    "Join",
    "Split",
    "Select",
    "Replace",
    "Base64",
    "Base64Encode",
    "Base64Decode",
    "Str",
    "Indent",
    "FindInMap",
    "GetAZs",
    "If",
    "Equals",
    "And",
    "Or",
    "Not",
    "Contains",
    "Any",
    "EachMemberIn",
    "MatchPattern",
    "Index",
    "Length",
    "ListMerge",
    "GetJsonValue",
    "MergeMapToList",
    "SelectMapList",
    "Add",
    "Avg",
    "Calculate",
    "Max",
    "Min",
    "Jq",
    "FormatTime",
    "MarketplaceImage",
    "GetStackOutput",
    "Cidr",
    "MemberListToMap",
    "MergeMap",
    "ResourceFacade",
    "TransformNamespace",
    "Test",
)
_BY_TAG = {tag: ("Ref" if tag == "Ref" else f"Fn::{tag}") for tag in SHORT_TAGS}


def function_for_tag(tag: str) -> str | None:
    """``"!Join"`` -> ``"Fn::Join"``; None when the tag names no function."""
    if not tag.startswith("!") or tag.startswith("!!"):
        return None
    name = tag[1:]
    known = _BY_TAG.get(name)
    if known is not None:
        return known
    try:
        from rosengine.functions import registry

        function = registry.by_tag(name)
    except Exception:  # a broken function module must not break loading
        return None
    return function.name if function is not None else None


def split_get_att(text: str) -> list[str] | str:
    """``!GetAtt a.b`` -> ``["a", "b"]`` (docs/reference/ros-template-language.md#calls-and-short-tags):
    resource names may contain dots, attribute names may not, except nested-stack outputs ``Res.Outputs.Name``
    -> ``["Res", "Outputs.Name"]``. Text without a dot is returned unchanged so the function reports the bad
    argument."""
    if not isinstance(text, str) or "." not in text:
        return text
    parts = text.split(".")
    if len(parts) >= 3 and parts[-2] == "Outputs":
        return [".".join(parts[:-2]), "Outputs." + parts[-1]]
    return [".".join(parts[:-1]), parts[-1]]
