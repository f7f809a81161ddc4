"""``ros validate`` never raises: random templates over every resource type and every kind of value
give findings, never an exception or an InternalError, within the fuzz bounds (2 s, 200 MB).

The same harness as the corpus fuzzing (tests/fuzz/test_fuzz_templates.py): Hypothesis draws the
cases (derandomized: the same ones every run), tests.support.fuzz_executor runs each in a bounded
child. Corpus templates with scrambled values are that file's tree mutations."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resource_types import registry
from tests.support.fuzz_executor import CaseRunner

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


@st.composite
def random_templates(draw: st.DrawFn) -> str:
    """A random template (JSON) over 150 of the known types, unknown ones and every value kind."""
    rng = draw(st.randoms(use_true_random=False))
    types = rng.sample(registry.type_names(), 150)
    return json.dumps(random_template(rng, types), default=str)


@pytest.fixture(scope="module")
def runner() -> Iterator[CaseRunner]:
    case_runner = CaseRunner()
    yield case_runner
    case_runner.close()


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=random_templates())
def test_random_templates_never_crash_the_check(runner: CaseRunner, text: str) -> None:
    outcome = runner.run(text, ".json")
    assert outcome.finding is None, f"{text[:2000]}\n{outcome.describe()}"
