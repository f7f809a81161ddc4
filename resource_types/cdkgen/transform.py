"""Step 2 of the generator: facts + hand-written schemas -> the schemas the registry loads. Pure.

Inputs: ``cdk-facts.json`` (step 1) and every ``resource_types/<family>/handwritten/**/*.json``.
Outputs, all under ``resource_types/``: one schema per type at ``<family>/<snake_name>.json``
(``<family>/datasource/<snake_name>.json`` for ``DATASOURCE::`` types), ``index.json`` (type name ->
file, so the registry opens only the schemas a template uses) and ``cdkgen/report.txt`` (everything
the facts could not express exactly). Every ``.json`` file under a family folder, outside
``handwritten/``, is an output: a build removes the ones it no longer writes.

From facts to JSON Schema (draft 7, read by :mod:`rosengine.validate` with ROS's scalar coercion):
``string``/``number``/``boolean`` as such, ``any`` as ``{}``, lists as ``array`` + ``items``, maps as
``object`` + ``additionalProperties``, structs as closed objects (``additionalProperties: false``:
ROS rejects unknown properties), allowed values as ``enum``, ranges as ``minimum``/``maximum``,
lengths as ``minLength``/``maxLength`` (``minItems``/``maxItems`` for lists), patterns through
:mod:`.regex`. A check that cannot be expressed exactly is left out and listed in the report.

Hand-written schemas win where both speak and keep what the CDK does not know (create-only
properties, FC's extensions, cross-property rules): top-level keys come from the hand-written
schema, ``properties`` are merged name by name (nested object properties too, so a field the CDK
knows is never lost), ``attributes`` are the union.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resource_types.cdkgen.regex import translate

ROOT = Path(__file__).resolve().parents[1]  # resource_types/
INDEX = "index.json"
REPORT = "cdkgen/report.txt"
HANDWRITTEN = "handwritten"
_NOT_FAMILIES = {"cdkgen", "__pycache__"}

# Output key order (the rest follows in the hand-written schema's order).
_KEY_ORDER = (
    "typeName",
    "$comment",
    "description",
    "documentationUrl",
    "properties",
    "required",
    "additionalProperties",
    "createOnlyProperties",
    "caseInsensitiveProperties",
    "attributes",
    "attributePatterns",
    "deprecated",
)


@dataclass
class Handwritten:
    path: str  # relative to resource_types/
    schema: dict[str, Any]


@dataclass
class _Report:
    schemas: list[str] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)


def schema_path(type_name: str) -> str:
    """``ALIYUN::ECS::SSHKeyPair`` -> ``ecs/ssh_key_pair.json``; data sources one folder down."""
    parts = type_name.split("::")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"not a resource type name: {type_name!r}")
    prefix, family, name = parts
    folder = family.lower() + ("/datasource" if prefix == "DATASOURCE" else "")
    return f"{folder}/{snake_case(name)}.json"


def snake_case(name: str) -> str:
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_")


def read_handwritten(root: Path = ROOT) -> dict[str, Handwritten]:
    """Every hand-written schema under ``root``, by type name."""
    found: dict[str, Handwritten] = {}
    for path in sorted(root.glob(f"*/{HANDWRITTEN}/**/*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        relative = path.relative_to(root).as_posix()
        type_name = schema.get("typeName")
        if not isinstance(type_name, str):
            raise ValueError(f"{relative}: no typeName")
        if type_name in found:
            raise ValueError(f"{relative}: {type_name} is also written in {found[type_name].path}")
        expected = schema_path(type_name)
        family, _, rest = expected.partition("/")
        if relative != f"{family}/{HANDWRITTEN}/{rest}":
            raise ValueError(
                f"{relative}: a hand-written {type_name} belongs at {family}/{HANDWRITTEN}/{rest}"
            )
        found[type_name] = Handwritten(relative, schema)
    return found


def build(facts: dict[str, Any], handwritten: dict[str, Handwritten]) -> dict[str, str]:
    """Every output file (path relative to resource_types/ -> text)."""
    report = _Report()
    outputs: dict[str, str] = {}
    index: dict[str, str] = {}
    packages = facts.get("packages", {})
    for type_name in sorted(set(facts["types"]) | set(facts.get("retired", {})) | set(handwritten)):
        path = schema_path(type_name)
        if path in outputs:
            raise ValueError(f"{type_name} and another type both map to {path}")
        type_facts = facts["types"].get(type_name)
        retired = facts.get("retired", {}).get(type_name)
        hand = handwritten.get(type_name)
        sources = []
        schema: dict[str, Any] = {}
        if type_facts is not None:
            package = type_facts["package"]
            sources.append(f"{package} {packages.get(package, {}).get('version', '?')}")
            schema = cdk_schema(type_name, type_facts, report)
        if retired is not None:
            sources.append(f"{retired['package']} (retired names)")
            old = cdk_schema(type_name, retired, report)
            schema = with_retired(schema, old) if schema else {**old, "deprecated": True}
        if hand is not None:
            sources.append(hand.path)
            written = runnable_patterns(hand.schema, hand.path)
            schema = merge(schema, written, type_name, report) if schema else dict(written)
        schema["$comment"] = (
            f"Generated by 'python -m resource_types.cdkgen build' from {' and '.join(sources)}; "
            "edit the hand-written schema (or the generator), not this file."
        )
        outputs[path] = _dump(_ordered(schema))
        index[type_name] = path
    outputs[INDEX] = _dump(
        {
            "$comment": "Resource type name -> schema file (generated with the schemas).",
            "types": index,
        }
    )
    outputs[REPORT] = _report_text(facts, report)
    return outputs


def cdk_schema(type_name: str, facts: dict[str, Any], report: _Report) -> dict[str, Any]:
    structs = facts.get("structs", {})
    properties = {
        name: property_schema(fact, structs, f"{type_name}.{name}", report, ())
        for name, fact in sorted(facts["properties"].items())
    }
    schema: dict[str, Any] = {"typeName": type_name}
    if facts.get("documentation"):
        schema["documentationUrl"] = facts["documentation"]
    schema["properties"] = properties
    schema["required"] = sorted(n for n, f in facts["properties"].items() if f.get("required"))
    schema["additionalProperties"] = False
    schema["attributes"] = {name: {} for name in facts["attributes"]}
    return schema


def property_schema(
    fact: dict[str, Any], structs: dict[str, Any], where: str, report: _Report, seen: tuple[str, ...]
) -> dict[str, Any]:
    kind = fact["type"]
    schema = type_schema(kind, structs, where, report, seen)
    base = kind if isinstance(kind, str) else kind[0]
    if "allowed" in fact:
        if base in ("string", "number", "boolean"):
            schema["enum"] = fact["allowed"]
        else:
            report.schemas.append(f"{where}: allowed values {fact['allowed']} on a {base}; not checked")
    for low, high, keywords in (
        ("min", "max", {"number": ("minimum", "maximum")}),
        ("minLength", "maxLength", {"string": ("minLength", "maxLength"), "list": ("minItems", "maxItems")}),
    ):
        for key, index in ((low, 0), (high, 1)):
            if key not in fact:
                continue
            if base in keywords:
                schema[keywords[base][index]] = fact[key]
            else:
                report.schemas.append(f"{where}: {key} {fact[key]} on a {base}; not checked")
    if "pattern" in fact:
        if base != "string" or fact.get("patternFlags"):
            report.schemas.append(f"{where}: pattern {fact['pattern']!r} on a {base}; not checked")
        else:
            translated, problem = translate(fact["pattern"])
            if translated is None:
                report.schemas.append(f"{where}: {problem}")
            else:
                _add_pattern(schema, translated)
    return schema


def runnable_patterns(schema: Any, where: str) -> Any:
    """A copy of a hand-written schema whose patterns RE2 can run (see :mod:`.regex`); a pattern
    that cannot be translated exactly is an error: the hand-written schema must be fixed."""
    if isinstance(schema, list):
        return [runnable_patterns(item, where) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "definitions", "patternProperties") and isinstance(value, dict):
            out[key] = {name: runnable_patterns(sub, where) for name, sub in value.items()}
        elif key in _SUBSCHEMA_KEYS:
            out[key] = runnable_patterns(value, where)
        elif key != "pattern" or not isinstance(value, str):
            out[key] = value
    if isinstance(schema.get("pattern"), str):
        translated, problem = translate(schema["pattern"])
        if translated is None:
            raise ValueError(f"{where}: {problem}")
        if "allOf" in translated and "allOf" in out:
            out["allOf"] = [*out["allOf"], *translated.pop("allOf")]
        _add_pattern(out, translated)
    return out


_SUBSCHEMA_KEYS = frozenset(
    {"items", "additionalProperties", "not", "if", "then", "else", "allOf", "anyOf", "oneOf", "dependencies"}
)


def _add_pattern(schema: dict[str, Any], keywords: dict[str, Any]) -> None:
    for key, value in keywords.items():
        if key == "minLength" and "minLength" in schema:
            schema[key] = max(schema[key], value)
        elif key == "maxLength" and "maxLength" in schema:
            schema[key] = min(schema[key], value)
        else:
            schema[key] = value


def type_schema(
    kind: Any, structs: dict[str, Any], where: str, report: _Report, seen: tuple[str, ...]
) -> dict[str, Any]:
    if kind in ("string", "number", "boolean"):
        return {"type": kind}
    if kind == "any":
        return {}
    if not isinstance(kind, list) or not kind:
        report.schemas.append(f"{where}: unknown type {kind!r}; any value accepted")
        return {}
    if kind[0] == "list":
        items = type_schema(kind[1], structs, where + "[]", report, seen)
        return {"type": "array", "items": items} if items else {"type": "array"}
    if kind[0] == "map":
        values = type_schema(kind[1], structs, where + ".*", report, seen)
        return {"type": "object", "additionalProperties": values} if values else {"type": "object"}
    if kind[0] == "tag":
        # ROS tags are {Key, Value}. The CDK's RosTag requires both; ROS takes a tag without a
        # Value (the public examples write them), so only Key is required.
        report.schemas.append(f"{where}: a RosTag; Value optional (the CDK requires it)")
        return {
            "type": "object",
            "properties": {"Key": {"type": "string"}, "Value": {"type": "string"}},
            "required": ["Key"],
            "additionalProperties": False,
        }
    if kind[0] == "struct":
        name = kind[1]
        if name in seen or name not in structs:
            report.schemas.append(
                f"{where}: struct {name} {'contains itself' if name in seen else 'unknown'}"
            )
            return {"type": "object"}
        members = structs[name]
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {
                key: property_schema(fact, structs, f"{where}.{key}", report, (*seen, name))
                for key, fact in sorted(members.items())
            },
        }
        required = sorted(key for key, fact in members.items() if fact.get("required"))
        if required:
            schema["required"] = required
        schema["additionalProperties"] = False
        return schema
    if kind[0] == "union":
        report.schemas.append(f"{where}: union {kind[1:]}; any value accepted")
        return {}
    report.schemas.append(f"{where}: unknown type {kind!r}; any value accepted")
    return {}


def with_retired(current: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """``current`` plus the property, struct field and attribute names only ``old`` has, each
    marked ``"deprecated": true`` (ros validate warns where a template uses one)."""
    out = dict(current)
    out["properties"] = _add_retired(current.get("properties", {}), old.get("properties", {}))
    out["attributes"] = {
        **{k: {"deprecated": True} for k in old.get("attributes", {})},
        **current["attributes"],
    }
    out["attributes"] = dict(sorted(out["attributes"].items()))
    return out


def _add_retired(current: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for name, schema in old.items():
        mine = merged.get(name)
        if mine is None:
            merged[name] = {**schema, "deprecated": True}
        else:
            merged[name] = _retired_inside(mine, schema)
    return dict(sorted(merged.items()))


def _retired_inside(current: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    out = dict(current)
    if isinstance(current.get("properties"), dict) and isinstance(old.get("properties"), dict):
        out["properties"] = _add_retired(current["properties"], old["properties"])
    if isinstance(current.get("items"), dict) and isinstance(old.get("items"), dict):
        out["items"] = _retired_inside(current["items"], old["items"])
    return out


def merge(generated: dict[str, Any], hand: dict[str, Any], type_name: str, report: _Report) -> dict[str, Any]:
    """``hand`` over ``generated``: see the module docstring."""
    out = dict(generated)
    for key, value in hand.items():
        if key == "properties":
            out[key] = _merge_properties(generated.get(key, {}), value)
        elif key == "attributes":
            out[key] = {**generated.get(key, {}), **value}
        else:
            out[key] = value
    out.pop("$comment", None)
    cdk_only = sorted(set(generated.get("properties", {})) - set(hand.get("properties", {})))
    hand_only = sorted(set(hand.get("properties", {})) - set(generated.get("properties", {})))
    parts = []
    if cdk_only:
        parts.append(f"properties from the CDK: {', '.join(cdk_only)}")
    if hand_only:
        parts.append(f"hand-written only: {', '.join(hand_only)}")
    extra_attributes = sorted(set(hand.get("attributes", {})) - set(generated.get("attributes", {})))
    if extra_attributes:
        parts.append(f"attributes hand-written only: {', '.join(extra_attributes)}")
    report.merges.append(f"{type_name}: " + ("; ".join(parts) if parts else "same properties"))
    return out


def _merge_properties(generated: dict[str, Any], hand: dict[str, Any]) -> dict[str, Any]:
    merged = {
        name: _merge_property(generated[name], hand[name]) if name in generated else hand[name]
        for name in hand
    }
    for name in generated:
        merged.setdefault(name, generated[name])
    return dict(sorted(merged.items()))


def _merge_property(generated: Any, hand: Any) -> Any:
    if not isinstance(generated, dict) or not isinstance(hand, dict):
        return hand
    out = dict(hand)
    if isinstance(generated.get("properties"), dict) and isinstance(hand.get("properties"), dict):
        out["properties"] = _merge_properties(generated["properties"], hand["properties"])
    if isinstance(generated.get("items"), dict) and isinstance(hand.get("items"), dict):
        out["items"] = _merge_property(generated["items"], hand["items"])
    return out


def _ordered(schema: dict[str, Any]) -> dict[str, Any]:
    ordered = {key: schema[key] for key in _KEY_ORDER if key in schema}
    ordered.update((key, value) for key, value in schema.items() if key not in ordered)
    return ordered


def _dump(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _report_text(facts: dict[str, Any], report: _Report) -> str:
    lines = [
        "What the ROS CDK type spec could not say exactly, and how the hand-written schemas were merged.",
        "Written by 'python -m resource_types.cdkgen build'; do not edit.",
        "",
        f"Packages: {len(facts.get('packages', {}))}; types: {len(facts['types'])}.",
        "",
        "== Reading the CDK (extract) ==",
        *(f"- {note}" for note in facts.get("notes", [])),
        "",
        "== Checks left out of the schemas ==",
        *(f"- {note}" for note in sorted(set(report.schemas))),
        "",
        "== Hand-written schemas merged over the CDK's ==",
        *(f"- {note}" for note in report.merges),
    ]
    return "\n".join(lines) + "\n"


def output_files(root: Path = ROOT) -> set[str]:
    """The files a build owns that exist now (so stale ones can be found and removed)."""
    found = set()
    for family in root.iterdir():
        if not family.is_dir() or family.name in _NOT_FAMILIES or family.name.startswith((".", "_")):
            continue
        for path in family.rglob("*.json"):
            relative = path.relative_to(root)
            if HANDWRITTEN not in relative.parts[1:2]:
                found.add(relative.as_posix())
    for extra in (INDEX, REPORT):
        if (root / extra).exists():
            found.add(extra)
    return found


def differences(outputs: dict[str, str], root: Path = ROOT) -> list[str]:
    """Output paths whose committed file is missing, different or stale (empty: up to date)."""
    wrong = []
    for path, text in sorted(outputs.items()):
        target = root / path
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            wrong.append(path)
    wrong.extend(sorted(output_files(root) - set(outputs)))
    return wrong


def write(outputs: dict[str, str], root: Path = ROOT) -> list[str]:
    """Write what changed and remove stale outputs; the paths touched."""
    touched = differences(outputs, root)
    for path in touched:
        target = root / path
        if path in outputs:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(outputs[path], encoding="utf-8")
        else:
            target.unlink()
    return touched
