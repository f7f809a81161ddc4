"""The provider contract of resource_types/base.py: the client accessor, read's two answers and
how the engine reads them back, and reset-to-default of removed properties from the schema."""

from __future__ import annotations

from typing import Any

import pytest

from resource_types import registry
from resource_types.base import (
    PHYSICAL_RESOURCE_ID,
    ProviderContext,
    ProviderResult,
    ResourceProvider,
    ResourceType,
    ResourceTypeSchema,
    found_by_properties,
    read_answer,
)

SCHEMA = ResourceTypeSchema.from_dict(
    {
        "typeName": "Test::Defaults",
        "properties": {
            "Name": {"type": "string"},
            "Memory": {"type": "integer", "default": 128},
            "Env": {"type": "object", "default": {}},
            "Policy": {"type": "object", "default": None},
            "Role": {"type": "string"},
        },
    }
)


class DefaultsProvider(ResourceProvider):
    type_name = "Test::Defaults"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        return ProviderResult("x")

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        return ProviderResult(physical_id)

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        return None


@pytest.fixture
def registered() -> Any:
    registry.register(ResourceType(SCHEMA, DefaultsProvider))
    yield
    registry.unregister("Test::Defaults")


def test_removed_properties_go_back_to_their_schema_default() -> None:
    previous = {"Name": "n", "Memory": 512, "Env": {"A": "1"}, "Policy": {"p": 1}, "Role": "r"}
    assert SCHEMA.reset_values(previous, {"Name": "n"}) == {"Memory": 128, "Env": {}, "Policy": None}


def test_only_removed_properties_are_reset() -> None:
    previous = {"Memory": 512, "Env": None}
    assert SCHEMA.reset_values(previous, {"Memory": 256}) == {}
    assert SCHEMA.reset_values({}, {}) == {}
    assert SCHEMA.reset_values({"Memory": 512}, {"Memory": None}) == {"Memory": 128}


def test_a_reset_value_is_a_copy_of_the_default() -> None:
    first = SCHEMA.reset_values({"Env": {"A": "1"}}, {})
    first["Env"]["B"] = "2"
    assert SCHEMA.defaults()["Env"] == {}


def test_provider_merges_the_resets_over_the_new_properties(registered: None) -> None:
    after = DefaultsProvider().properties_after_update({"Name": "n"}, {"Name": "m", "Memory": 1024})
    assert after == {"Name": "n", "Memory": 128}


def test_a_type_without_schema_resets_nothing() -> None:
    class Unknown(DefaultsProvider):
        type_name = "Test::NoSuchSchema"

    assert Unknown().properties_after_update({}, {"Memory": 1}) == {}


def test_read_answers_carry_the_physical_id_only_when_looked_up_by_properties() -> None:
    assert read_answer("p-1", "p-1", {"Arn": "a"}) == {"Arn": "a"}
    assert read_answer("", "p-1", {"Arn": "a"}) == {"Arn": "a", PHYSICAL_RESOURCE_ID: "p-1"}


def test_the_engine_adopts_only_answers_that_name_a_physical_id() -> None:
    assert found_by_properties(read_answer("", "p-1", {"Arn": "a"})) == ProviderResult("p-1", {"Arn": "a"})
    assert found_by_properties({"Arn": "a"}) is None
    assert found_by_properties({PHYSICAL_RESOURCE_ID: ""}) is None
    assert found_by_properties(None) is None
    assert found_by_properties(ProviderResult("p-1")) is None


def test_client_is_the_operations_client_for_the_service() -> None:
    asked: list[str] = []

    def clients(service: str) -> object:
        asked.append(service)
        return f"client of {service}"

    ctx = ProviderContext("s", "sid", "cn-hangzhou", "123", "R", "Test::Defaults", clients=clients)
    assert ctx.client("oss") == "client of oss"
    assert asked == ["oss"]
