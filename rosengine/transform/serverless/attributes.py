"""``Fn::GetAtt`` of serverless resources, answered by the resources they expanded to.

Most attributes keep working unchanged because the main resource keeps the logical id (a
service's ``ServiceId``, a custom domain's ``Domain``, a table's ``TableName``). The few whose
name or owner changed (an API's ``ApiId`` is its first generated API's, a logstore's ``Name`` is
``LogstoreName``, a topic's ``ARN.WithSlash`` is ``ArnWithSlash``) are rewritten everywhere:
``Fn::GetAtt`` in list or dotted form, and ``${X.Attr}`` inside ``Fn::Sub``.
"""

from __future__ import annotations

import re
from typing import Any

Renames = dict[tuple[str, str], tuple[str, str]]
_SUB_REFERENCE = re.compile(r"\$\{([^}!][^}]*)\}")


def rewrite_attributes(node: Any, renames: Renames) -> Any:
    """``node`` with every renamed attribute reference rewritten (new objects only where needed)."""
    if isinstance(node, dict):
        if len(node) == 1:
            if "Fn::GetAtt" in node:
                return {"Fn::GetAtt": _get_att(node["Fn::GetAtt"], renames)}
            if "Fn::Sub" in node:
                return {"Fn::Sub": _sub(node["Fn::Sub"], renames)}
        changed = {key: rewrite_attributes(value, renames) for key, value in node.items()}
        return node if all(changed[k] is node[k] for k in node) else changed
    if isinstance(node, list):
        items = [rewrite_attributes(item, renames) for item in node]
        return node if all(a is b for a, b in zip(items, node, strict=True)) else items
    return node


def _get_att(args: Any, renames: Renames) -> Any:
    if isinstance(args, str) and "." in args:
        resource, _, attribute = args.partition(".")
        found = renames.get((resource, attribute))
        return f"{found[0]}.{found[1]}" if found else args
    if isinstance(args, list) and len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], str):
        found = renames.get((args[0], args[1]))
        return [found[0], found[1]] if found else args
    return rewrite_attributes(args, renames)


def _sub(args: Any, renames: Renames) -> Any:
    def replace(match: re.Match[str]) -> str:
        resource, _, attribute = match.group(1).partition(".")
        found = renames.get((resource, attribute)) if attribute else None
        return f"${{{found[0]}.{found[1]}}}" if found else match.group(0)

    if isinstance(args, str):
        return _SUB_REFERENCE.sub(replace, args)
    if isinstance(args, list) and args and isinstance(args[0], str):
        return [_SUB_REFERENCE.sub(replace, args[0]), *(rewrite_attributes(a, renames) for a in args[1:])]
    return rewrite_attributes(args, renames)
