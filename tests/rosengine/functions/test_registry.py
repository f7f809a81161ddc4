"""The registry holds every ROS function with the right flags, and no function lets a Python
exception escape on bad input (everything becomes a located TemplateError)."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from rosengine.errors import TemplateError
from rosengine.functions import registry
from rosengine.functions.base import Unknown

SPEC_TAGS = [
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
]


@pytest.mark.parametrize("tag", SPEC_TAGS)
def test_every_spec_tag_is_registered(tag):
    fn = registry.by_tag(tag)
    assert fn is not None
    assert registry.get(fn.name) is not None
    expected_name = "Ref" if tag == "Ref" else f"Fn::{tag}"
    assert fn.name == expected_name


def test_module_table_names_the_module_of_every_function():
    """``registry.MODULES`` (what a lookup imports) agrees with what each module registers."""
    code = (
        "import importlib, pkgutil, rosengine.functions as pkg\n"
        "from rosengine.functions import registry\n"
        "found = {}\n"
        "for info in pkgutil.iter_modules(pkg.__path__):\n"
        "    if info.name in registry._SKIP or info.name.startswith('_'):\n"
        "        continue\n"
        "    before = set(registry._BY_NAME)\n"
        "    importlib.import_module(f'rosengine.functions.{info.name}')\n"
        "    found.update({name: info.name for name in set(registry._BY_NAME) - before})\n"
        "assert found == registry.MODULES, sorted(set(found.items()) ^ set(registry.MODULES.items()))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # a fresh process: nothing imported yet


def test_a_lookup_imports_only_the_module_it_needs():
    code = (
        "import sys\n"
        "from rosengine.functions import registry\n"
        "assert registry.get('Fn::Join').name == 'Fn::Join'\n"
        "assert registry.by_tag('GetAtt').name == 'Fn::GetAtt'\n"
        "assert registry.get('Fn::NoSuchFunction') is None and registry.by_tag('NoSuch') is None\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('rosengine.functions.'))\n"
        "assert 'rosengine.functions.jq' not in loaded and 'rosengine.functions.cidr' not in loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_legacy_base64_is_base64encode():
    assert registry.get("Fn::Base64").evaluate is registry.get("Fn::Base64Encode").evaluate
    assert "Fn::Base64" in registry.get("Fn::Base64Encode").aliases


def test_lazy_and_condition_flags():
    lazy = {name for name in registry.names() if registry.get(name).lazy}
    assert {"Ref", "Fn::GetAtt", "Fn::Sub", "Fn::If", "Fn::And", "Fn::Or", "Fn::Not", "Fn::FindInMap"} <= lazy
    conditions = {name for name in registry.names() if registry.get(name).condition_function}
    assert conditions == {"Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"}


@pytest.mark.parametrize(
    ("name", "result_type"),
    [
        ("Fn::Join", "string"),
        ("Fn::Sub", "string"),
        ("Fn::Length", "integer"),
        ("Fn::Split", "array"),
        ("Fn::Equals", "boolean"),
        ("Fn::Cidr", "array"),
        ("Fn::Base64Encode", "string"),
    ],
)
def test_result_types(name, result_type):
    assert registry.get(name).result_type == result_type


GARBAGE = [
    None,
    True,
    0,
    -1,
    2.5,
    "",
    "x",
    "a.b",
    [],
    [None],
    [1, 2],
    [[]],
    {},
    {"a": 1},
    [{"a": 1}, "s", 3],
    ["x", "y", "z", "w", "v"],
    [Unknown("string")],
]


@pytest.mark.parametrize("name", registry.names())
def test_bad_input_never_escapes_as_python_exception(make, name):
    harness = make(parameters={"P": "x"}, conditions={"C": True}, mappings={"M": {"a": {"b": 1}}})
    for args in itertools.chain(GARBAGE, ([g, h] for g in GARBAGE[:12] for h in GARBAGE[:12])):
        try:
            harness({name: args})
        except TemplateError as err:
            assert err.message and err.path[:3] == ("Outputs", "Out", "Value")
