"""Step 1 of the generator: download the pinned ROS CDK wheels and write their facts to one file.

Why a facts file: downloading needs the package index, which CI does not have. What the schemas
are made of (each type's properties, template names, types, constraints and attributes) is written
to ``cdk-facts.json`` next to this module, normalised (sorted, one type per line) so that a new CDK
release shows as a readable diff. Step 2 (:mod:`resource_types.cdkgen.transform`) turns that file
into schemas without the network, and a test re-runs it.

Each wheel embeds its jsii assembly (``<pkg>/_jsii/*.jsii.tgz``, holding ``package/.jsii`` and the
generated JavaScript in ``package/lib``). The JavaScript gives names and constraints
(:mod:`resource_types.cdkgen.jsparse`); the jsii assembly gives the TypeScript types, which are
cross-checked against the JavaScript (a disagreement is a note, never silently resolved).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resource_types.cdkgen import jsparse

HERE = Path(__file__).resolve().parent
PACKAGES_FILE = HERE / "packages.txt"
RETIRED_FILE = HERE / "retired-packages.txt"
FACTS_FILE = HERE / "cdk-facts.json"
FACTS_FORMAT = 1

_DOC_URL = re.compile(r"https?://[^\s)\]`'\"]+")


def pinned_packages(path: Path = PACKAGES_FILE) -> list[tuple[str, str]]:
    """``(name, version)`` of every ``name==version`` line of the pin file."""
    pins = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            if not version:
                raise ValueError(f"{path}: {line!r} is not pinned (name==version)")
            pins.append((name.strip(), version.strip()))
    return pins


def download(pins: list[tuple[str, str]], directory: Path) -> list[Path]:
    """The wheels of ``pins`` in ``directory``, downloaded with pip where missing."""
    directory.mkdir(parents=True, exist_ok=True)
    wanted = [f"{name}=={version}" for name, version in pins]
    missing = [
        spec
        for spec, (name, version) in zip(wanted, pins, strict=True)
        if not _wheel(directory, name, version)
    ]
    if missing:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "-d",
                str(directory),
                *missing,
            ],
            check=True,
        )
    wheels = []
    for name, version in pins:
        wheel = _wheel(directory, name, version)
        if wheel is None:
            raise FileNotFoundError(f"pip did not leave a wheel of {name}=={version} in {directory}")
        wheels.append(wheel)
    return wheels


def _wheel(directory: Path, name: str, version: str) -> Path | None:
    found = sorted(directory.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
    found += sorted(directory.glob(f"{name}-{version}.tar.gz"))  # published without a wheel
    return found[0] if found else None


@dataclass
class _Assembly:
    jsii: dict[str, Any]
    scripts: dict[str, str]  # lib/... .generated.js path -> text


def _read_wheel(wheel: Path) -> _Assembly:
    """The jsii assembly inside a wheel, or inside a source distribution (the four families
    published only as those carry the same ``_jsii/*.jsii.tgz``)."""
    if wheel.name.endswith(".tar.gz"):
        with tarfile.open(wheel, mode="r:gz") as sdist:
            names = [m for m in sdist.getmembers() if m.name.endswith(".jsii.tgz")]
            if len(names) != 1:
                raise ValueError(f"{wheel.name}: expected one jsii tarball, found {[m.name for m in names]}")
            handle = sdist.extractfile(names[0])
            blob = handle.read() if handle is not None else b""
    else:
        with zipfile.ZipFile(wheel) as archive:
            tgz = [n for n in archive.namelist() if n.endswith(".jsii.tgz")]
            if len(tgz) != 1:
                raise ValueError(f"{wheel.name}: expected one jsii tarball, found {tgz}")
            blob = archive.read(tgz[0])
    scripts: dict[str, str] = {}
    jsii: dict[str, Any] = {}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is None:
                continue
            if member.name == "package/.jsii":
                jsii = json.load(handle)
            elif member.name.startswith("package/lib/") and member.name.endswith(".generated.js"):
                scripts[member.name[len("package/") :]] = handle.read().decode("utf-8")
    return _Assembly(jsii, scripts)


def facts_of_wheel(package: str, wheel: Path, notes: list[str]) -> dict[str, dict[str, Any]]:
    """Every resource and data-source type of one wheel, as facts."""
    assembly = _read_wheel(wheel)
    jsii_types: dict[str, Any] = assembly.jsii.get("types", {})
    found: dict[str, dict[str, Any]] = {}
    for script, text in sorted(assembly.scripts.items()):
        parsed = jsparse.parse(text, f"{package} {script}")
        notes.extend(parsed.notes)
        ts_file = script[: -len(".js")] + ".ts"
        for resource in parsed.resources:
            where = f"{package} {resource.type_name}"
            jsii_class = _jsii_type(jsii_types, resource.class_name, ts_file)
            facts = _resource_facts(resource, parsed, jsii_types, ts_file, where, notes)
            facts["package"] = package
            url = _doc_url(jsii_class, _jsii_type(jsii_types, resource.class_name + "Props", ts_file))
            if url:
                facts["documentation"] = url
            if resource.type_name in found:
                notes.append(f"{where}: declared twice; the first kept")
                continue
            found[resource.type_name] = facts
    return found


def _resource_facts(
    resource: jsparse.ResourceClass,
    parsed: jsparse.JsFile,
    jsii_types: dict[str, Any],
    ts_file: str,
    where: str,
    notes: list[str],
) -> dict[str, Any]:
    structs: dict[str, dict[str, Any]] = {}
    validator_to_converter = {c.validator: name for name, c in parsed.converters.items() if c.validator}

    def struct_name(converter: str) -> str:
        validator = parsed.converters[converter].validator or converter
        short = validator.split("_", 1)[-1]
        return short[: -len("Property")] if short.endswith("Property") else short

    def resolve(kind: Any) -> Any:
        """Converter names inside a type become struct names (and their facts are collected)."""
        if isinstance(kind, list) and kind[0] == "struct":
            converter = kind[1]
            if converter not in parsed.converters:
                notes.append(f"{where}: no converter {converter}")
                return "any"
            name = struct_name(converter)
            if name not in structs:
                structs[name] = {}  # placeholder: a struct that contains itself stops here
                jsii_struct = _jsii_type(jsii_types, f"{resource.class_name}.{name}Property", ts_file)
                structs[name] = properties_of(converter, jsii_struct, f"{where} struct {name}")
            return ["struct", name]
        if isinstance(kind, list) and kind[0] in ("list", "map"):
            return [kind[0], resolve(kind[1])]
        return kind

    def validator_kind(kind: Any) -> Any:
        if isinstance(kind, list) and kind[0] == "validator":
            converter = validator_to_converter.get(kind[1])
            return ["struct", struct_name(converter)] if converter else kind
        if isinstance(kind, list) and kind[0] in ("list", "map"):
            return [kind[0], validator_kind(kind[1])]
        return kind

    def properties_of(converter_name: str, jsii_struct: dict[str, Any] | None, at: str) -> dict[str, Any]:
        converter = parsed.converters[converter_name]
        constraints = parsed.validators.get(converter.validator or "")
        if constraints is None:
            notes.append(f"{at}: no validator for {converter_name}")
            constraints = jsparse.Constraints()
        jsii_props = {p["name"]: p for p in (jsii_struct or {}).get("properties", [])}
        if jsii_struct is None:
            notes.append(f"{at}: not found in the jsii assembly")
        out: dict[str, Any] = {}
        for template_name, (camel, converted) in converter.properties.items():
            kind = resolve(converted)
            fact: dict[str, Any] = {"type": kind}
            if camel in constraints.required:
                fact["required"] = True
            fact.update(constraints.checks.get(camel, {}))
            checked = validator_kind(constraints.types.get(camel))
            if checked is not None and checked != kind:
                notes.append(f"{at}.{template_name}: rendered as {kind}, validated as {checked}")
            declared = jsii_props.get(camel)
            if jsii_struct is not None:
                if declared is None:
                    notes.append(f"{at}.{template_name}: {camel!r} missing from the jsii assembly")
                else:
                    typed = _jsii_kind(declared.get("type", {}))
                    if typed != kind:
                        notes.append(f"{at}.{template_name}: jsii type {typed}, JavaScript {kind}")
                    if bool(declared.get("optional")) == bool(fact.get("required")):
                        notes.append(f"{at}.{template_name}: jsii optional={declared.get('optional', False)}")
            out[template_name] = fact
        for camel in sorted(set(jsii_props) - {c for c, _ in converter.properties.values()}):
            notes.append(f"{at}: jsii property {camel!r} is not rendered to the template")
        return out

    props_converter = resource.converter
    if props_converter not in parsed.converters:
        notes.append(f"{where}: no properties converter {props_converter}")
        properties: dict[str, Any] = {}
    else:
        jsii_props_type = _jsii_type(jsii_types, resource.class_name + "Props", ts_file)
        properties = properties_of(props_converter, jsii_props_type, where)
    facts: dict[str, Any] = {"attributes": sorted(set(resource.attributes)), "properties": properties}
    if len(set(resource.attributes)) != len(resource.attributes):
        notes.append(f"{where}: attribute declared twice")
    if structs:
        facts["structs"] = structs
    return facts


def _jsii_type(types: dict[str, Any], name: str, ts_file: str) -> dict[str, Any] | None:
    """The jsii type named ``name`` (``RosRole`` or ``RosRole.PoliciesProperty``) declared in
    ``ts_file`` (datasource submodules reuse class names, so the file tells them apart)."""
    index = _JSII_INDEX.get(id(types))
    if index is None or index[0] is not types:
        table: dict[tuple[str, str], dict[str, Any]] = {}
        for fqn, declared in types.items():
            filename = declared.get("locationInModule", {}).get("filename", "")
            parts = fqn.split(".")
            for depth in (1, 2):
                table.setdefault((filename, ".".join(parts[-depth:])), declared)
        index = _JSII_INDEX[id(types)] = (types, table)
    return index[1].get((ts_file, name))


_JSII_INDEX: dict[int, tuple[dict[str, Any], dict[tuple[str, str], dict[str, Any]]]] = {}


def _jsii_kind(declared: dict[str, Any]) -> Any:
    """A jsii type reference in the facts' type form (IResolvable, a token, is left out)."""
    if "union" in declared:
        kinds = [_jsii_kind(t) for t in declared["union"]["types"]]
        kinds = [k for k in kinds if k != "resolvable"]
        unique = [k for i, k in enumerate(kinds) if k not in kinds[:i]]
        return unique[0] if len(unique) == 1 else ["union", *unique]
    if "primitive" in declared:
        primitive = declared["primitive"]
        return {"json": "any"}.get(primitive, primitive)
    if "collection" in declared:
        collection = declared["collection"]
        kind = "list" if collection["kind"] == "array" else "map"
        return [kind, _jsii_kind(collection["elementtype"])]
    fqn = declared.get("fqn", "")
    if fqn.endswith(".IResolvable"):
        return "resolvable"
    if fqn == "@alicloud/ros-cdk-core.RosTag":
        return ["tag"]
    last = fqn.rsplit(".", 1)[-1]
    return ["struct", last[: -len("Property")] if last.endswith("Property") else last]


def _doc_url(*declared: dict[str, Any] | None) -> str | None:
    for item in declared:
        if not item:
            continue
        docs = item.get("docs", {})
        for text in (docs.get("see"), docs.get("remarks"), docs.get("summary")):
            if isinstance(text, str):
                match = _DOC_URL.search(text)
                if match:
                    return match.group(0).rstrip(".,;")
    return None


def extract(wheel_dir: Path) -> dict[str, Any]:
    """The facts document of every pinned package (downloaded into ``wheel_dir`` where missing),
    with ``retired``: what the older releases of ``retired-packages.txt`` describe and the pinned
    ones no longer do (whole types, or types whose property, struct field or attribute names the
    pinned release lacks)."""
    pins, retired_pins = pinned_packages(), pinned_packages(RETIRED_FILE)
    wheels = download(pins + retired_pins, wheel_dir)
    notes: list[str] = []
    packages: dict[str, dict[str, str]] = {}
    types: dict[str, dict[str, Any]] = {}
    for (name, version), wheel in zip(pins, wheels[: len(pins)], strict=True):
        packages[name] = {"version": version, "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()}
        for type_name, facts in facts_of_wheel(name, wheel, notes).items():
            if type_name in types:
                notes.append(f"{name} {type_name}: also in {types[type_name]['package']}; the first kept")
                continue
            types[type_name] = facts
    retired: dict[str, dict[str, Any]] = {}
    retired_packages: dict[str, dict[str, str]] = {}
    for (name, version), wheel in zip(retired_pins, wheels[len(pins) :], strict=True):
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        retired_packages[f"{name}=={version}"] = {"sha256": digest}
        for type_name, facts in facts_of_wheel(name, wheel, []).items():
            facts["package"] = f"{name} {version}"
            previous = retired.get(type_name)
            retired[type_name] = facts if previous is None else _union(previous, facts)
    kept = {
        type_name: facts
        for type_name, facts in retired.items()
        if type_name not in types or name_paths(facts) - name_paths(types[type_name])
    }
    return {
        "format": FACTS_FORMAT,
        "packages": packages,
        "retiredPackages": retired_packages,
        "notes": sorted(set(notes)),
        "types": types,
        "retired": kept,
    }


def _union(older: dict[str, Any], newer: dict[str, Any]) -> dict[str, Any]:
    """Two releases' facts of one type: every name either knows, the newer one's facts first."""
    out = dict(newer)
    out["attributes"] = sorted(set(older.get("attributes", [])) | set(newer.get("attributes", [])))
    out["properties"] = {**older.get("properties", {}), **newer.get("properties", {})}
    structs = dict(older.get("structs", {}))
    for struct, fields in newer.get("structs", {}).items():
        structs[struct] = {**structs.get(struct, {}), **fields}
    if structs:
        out["structs"] = structs
    out["package"] = (
        f"{older['package']}, {newer['package']}"
        if older["package"] != newer["package"]
        else newer["package"]
    )
    return out


def name_paths(facts: dict[str, Any]) -> set[str]:
    """Every property, struct field (``A.B``) and attribute (``@Arn``) name a type's facts hold."""
    structs = facts.get("structs", {})
    found = {f"@{name}" for name in facts.get("attributes", [])}

    def walk(prefix: str, kind: Any, seen: tuple[str, ...]) -> None:
        if isinstance(kind, list) and kind and kind[0] in ("list", "map"):
            walk(prefix, kind[1], seen)
        elif isinstance(kind, list) and kind and kind[0] == "struct" and kind[1] not in seen:
            for field_name, fact in structs.get(kind[1], {}).items():
                found.add(f"{prefix}.{field_name}")
                walk(f"{prefix}.{field_name}", fact["type"], (*seen, kind[1]))

    for name, fact in facts.get("properties", {}).items():
        found.add(name)
        walk(name, fact["type"], ())
    return found


def dump_facts(facts: dict[str, Any]) -> str:
    """The normalised text of a facts document: sorted keys, one type (or note) per line."""
    lines = ["{", f'"format": {json.dumps(facts["format"])},']

    def table(key: str, last: bool = False) -> None:
        lines.append(f"{json.dumps(key)}: {{")
        lines.append(",\n".join(f"{json.dumps(k)}: {_compact(v)}" for k, v in sorted(facts[key].items())))
        lines.append("}" if last else "},")

    table("packages")
    table("retiredPackages")
    lines.append('"notes": [')
    lines.append(",\n".join(json.dumps(n, ensure_ascii=False) for n in facts["notes"]))
    lines.append("],")
    table("types")
    table("retired", last=True)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def load_facts(path: Path = FACTS_FILE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FACTS_FORMAT:
        raise ValueError(f"{path}: facts format {data.get('format')!r}, expected {FACTS_FORMAT}")
    return data
