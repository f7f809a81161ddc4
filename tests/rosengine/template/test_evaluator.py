"""The evaluator's contract with functions, checked with throwaway functions (not the real ones)."""

from __future__ import annotations

from typing import Any

import pytest

from rosengine.errors import INTERNAL_ERROR, INVALID_FUNCTION, TemplateError
from rosengine.functions import registry
from rosengine.functions.base import NO_VALUE, FunctionError, IntrinsicFunction, Unknown
from rosengine.template import prepare
from tests.support.templates import attribute, physical_id, yaml_template

CALLS: list[tuple[str, Any]] = []


def _upper(args: Any, ctx: Any, path: Any) -> Any:
    CALLS.append(("upper", args))
    if not isinstance(args, str):
        raise FunctionError("Fn::TestUpper expects a string", sub_path=(0,))
    return args.upper()


def _raw(args: Any, ctx: Any, path: Any) -> Any:
    CALLS.append(("raw", args))
    return {"raw": args, "first": ctx.evaluate(args[0], path + ("Fn::TestRaw", 0))}


def _drop(args: Any, ctx: Any, path: Any) -> Any:
    return NO_VALUE


def _boom(args: Any, ctx: Any, path: Any) -> Any:
    raise ZeroDivisionError("oops")


@pytest.fixture(autouse=True)
def throwaway_functions(monkeypatch):
    """Register test-only functions without leaking them into other tests."""
    registry.load_all()  # the copies below hold every function, and the originals keep them all
    monkeypatch.setattr(registry, "_BY_NAME", dict(registry._BY_NAME))
    monkeypatch.setattr(registry, "_BY_TAG", dict(registry._BY_TAG))
    for function in (
        IntrinsicFunction("Fn::TestUpper", "TestUpper", _upper, result_type="string"),
        IntrinsicFunction("Fn::TestRaw", "TestRaw", _raw, lazy=True),
        IntrinsicFunction("Fn::TestDrop", "TestDrop", _drop),
        IntrinsicFunction("Fn::TestBoom", "TestBoom", _boom),
    ):
        registry.register(function)
    CALLS.clear()


def resolve(properties: str, **prepare_options: Any) -> dict:
    template = yaml_template(
        "Parameters:\n  P: {Type: String, Default: hello}\n  Q: {Type: String}\n"
        f"Resources:\n  R:\n    Type: X::Y\n    Properties:\n{properties}"
    )
    given = None if prepare_options.get("static") else {"Q": "q"}
    prepared = prepare(template, given, **prepare_options)
    return prepared.resolve_properties("R", attribute, physical_id)


def test_eager_function_gets_evaluated_arguments():
    assert resolve("      A: {'Fn::TestUpper': {Ref: P}}\n") == {"A": "HELLO"}
    assert CALLS == [("upper", "hello")]


def test_lazy_function_gets_raw_nodes_and_evaluates_itself():
    assert resolve("      A: {'Fn::TestRaw': [{Ref: P}, 2]}\n") == {
        "A": {"raw": [{"Ref": "P"}, 2], "first": "hello"}
    }


def test_unknown_arguments_short_circuit_eager_functions():
    result = resolve("      A: {'Fn::TestUpper': {Ref: Q}}\n", static=True)
    assert result["A"] == Unknown("string", "Fn::TestUpper")
    assert CALLS == []


def test_no_value_removes_entries_and_list_items():
    assert resolve("      A: {'Fn::TestDrop': 1}\n      B: [1, {'Fn::TestDrop': 1}, 2]\n      C: 3\n") == {
        "B": [1, 2],
        "C": 3,
    }


def test_function_error_is_located_at_the_argument():
    with pytest.raises(TemplateError) as caught:
        resolve("      A:\n        Fn::TestUpper: 5\n")
    err = caught.value
    assert err.code == INVALID_FUNCTION and err.message == "Fn::TestUpper expects a string"
    assert err.path == ("Resources", "R", "Properties", "A", "Fn::TestUpper", 0)
    assert (err.file, err.line, err.col) == ("t.yml", 10, 9)


def test_unexpected_exception_in_a_function_is_an_internal_error_not_a_traceback():
    with pytest.raises(TemplateError) as caught:
        resolve("      A: {'Fn::TestBoom': 1}\n")
    assert caught.value.code == INTERNAL_ERROR and "ZeroDivisionError" in caught.value.message


def test_unknown_function_is_reported():
    with pytest.raises(TemplateError) as caught:
        resolve("      A: {'Fn::NoSuchThing': 1}\n")
    assert caught.value.code == INVALID_FUNCTION and "Fn::NoSuchThing" in caught.value.message


def test_plain_mappings_with_other_single_keys_are_data():
    assert resolve("      A: {Key: {Ref: P}}\n") == {"A": {"Key": "hello"}}
