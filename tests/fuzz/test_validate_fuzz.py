"""``ros validate`` never raises: random templates over every kind of value, and corpus templates
with their property values scrambled, give findings, never an exception or an InternalError."""

from __future__ import annotations

import json
import random
from typing import Any

from resource_types import registry
from rosengine.errors import INTERNAL_ERROR, TemplateError, TemplateErrors
from rosengine.template import load_template
from rosengine.validate import check_template, validate_file
from tests.support.corpus import corpus_templates

SCALARS: list[Any] = [None, True, False, 0, -1, 2**63, 1.5, float("inf"), "", "x", "128", "true", "é" * 300]


def random_value(rng: random.Random, names: list[str], depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 4 or roll < 0.45:
        return rng.choice(SCALARS)
    if roll < 0.6:
        return [random_value(rng, names, depth + 1) for _ in range(rng.randint(0, 4))]
    if roll < 0.75:
        keys = rng.sample(
            ["A", "Key", "Value", "Type", "Fn::Join", "Ref", "Properties", "1"], rng.randint(0, 3)
        )
        return {k: random_value(rng, names, depth + 1) for k in keys}
    if roll < 0.85:
        return {"Ref": rng.choice(names + ["Nope", "ALIYUN::StackName", 3])}
    if roll < 0.95:
        return {"Fn::GetAtt": [rng.choice(names + ["Nope"]), rng.choice(["Arn", "Outputs.X", "", 7])]}
    return {"Fn::Sub": rng.choice(["${Nope}", "${A.B}", "plain", 1])}


def random_template(rng: random.Random, types: list[str]) -> dict[str, Any]:
    names = [f"R{i}" for i in range(rng.randint(1, 6))]
    resources: dict[str, Any] = {}
    for name in names:
        type_name = rng.choice(types + ["Custom::X", "MODULE::A::B::C", "ALIYUN::No::Such", 5])
        schema = registry.schema(type_name) if isinstance(type_name, str) else None
        keys = list(schema.properties) if schema is not None else []
        keys += ["Bogus", "vpcid"]
        chosen = rng.sample(keys, min(len(keys), rng.randint(0, 5)))
        resources[name] = {"Type": type_name, "Properties": {k: random_value(rng, names) for k in chosen}}
        if rng.random() < 0.1:
            resources[name]["Properties"] = random_value(rng, names)
    return {
        "ROSTemplateFormatVersion": "2015-09-01",
        "Resources": resources,
        "Outputs": {"O": {"Value": random_value(rng, names)}},
    }


def no_internal_error(text: str) -> None:
    try:
        errors = check_template(load_template(text))
    except (TemplateError, TemplateErrors):
        return  # the loader refused it: a finding, not a crash
    assert [e for e in errors if e.code == INTERNAL_ERROR] == []


def test_random_templates_never_crash_the_check():
    rng = random.Random(20261106)
    types = rng.sample(registry.type_names(), 150)
    for _ in range(300):
        no_internal_error(json.dumps(random_template(rng, types), default=str))


def test_scrambled_corpus_templates_never_crash_the_check(tmp_path):
    rng = random.Random(11)
    files = corpus_templates("ros-templates")
    for path in rng.sample(files, 60):
        try:
            template = load_template(path)
        except (TemplateError, TemplateErrors):
            continue
        data = template.data
        names = list(data.get("Resources", {}))
        for resource in data.get("Resources", {}).values():
            properties = resource.get("Properties") if isinstance(resource, dict) else None
            if isinstance(properties, dict):
                for key in list(properties):
                    if rng.random() < 0.4:
                        properties[key] = random_value(rng, names)
        scrambled = tmp_path / "t.json"
        scrambled.write_text(json.dumps(data, default=str))
        findings = validate_file(scrambled)
        assert [f for f in findings if f.rule_id == INTERNAL_ERROR] == [], path
