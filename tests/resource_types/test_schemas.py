"""The hand-written FC, FC3 and ROS schemas (as merged over the CDK's by the generator):
well-formed, meta-valid, and true to the documented ranges."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from resource_types import registry
from resource_types.base import ResourceTypeSchema
from resource_types.cdkgen import transform
from rosengine.validate import attribute_names, schema_document, schema_for, validate_properties
from tests.support.property_examples import BAD_VALUES, VALID_PROPERTIES

ROOT = Path(registry.__file__).resolve().parent
HANDWRITTEN = transform.read_handwritten()
SCHEMA_FILES = sorted(ROOT / transform.schema_path(name) for name in HANDWRITTEN)
EXPECTED_TYPES = {
    "ALIYUN::FC::Service",
    "ALIYUN::FC::Function",
    "ALIYUN::FC::FunctionInvoker",
    "ALIYUN::FC::Trigger",
    "ALIYUN::FC::Version",
    "ALIYUN::FC::Alias",
    "ALIYUN::FC::Layer",
    "ALIYUN::FC::ProvisionConfig",
    "ALIYUN::FC::CustomDomain",
    "ALIYUN::FC3::Function",
    "ALIYUN::FC3::Trigger",
    "ALIYUN::FC3::FunctionInvoker",
    "ALIYUN::FC3::AsyncInvokeConfig",
    "ALIYUN::FC3::ConcurrencyConfig",
    "ALIYUN::FC3::ProvisionConfig",
    "ALIYUN::FC3::CustomDomain",
    "ALIYUN::FC3::LayerVersion",
    "ALIYUN::FC3::VpcBinding",
    "ALIYUN::FC3::FunctionVersion",
    "ALIYUN::ROS::WaitConditionHandle",
    "ALIYUN::ROS::WaitCondition",
    "ALIYUN::ROS::Stack",
    "ALIYUN::ROS::CustomResource",
}
BASE = ("Resources", "R", "Properties")


def test_every_expected_type_has_a_schema_and_an_example():
    names = {json.loads(p.read_text())["typeName"] for p in SCHEMA_FILES}
    assert names >= EXPECTED_TYPES
    assert set(VALID_PROPERTIES) == EXPECTED_TYPES


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.stem)
def test_schema_file_is_meta_valid_and_consistent(path: Path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    schema = ResourceTypeSchema.from_dict(raw)
    Draft7Validator.check_schema(schema_document(schema))
    props = set(schema.properties)
    assert set(schema.required) <= props
    assert schema.create_only <= props
    assert schema.case_insensitive <= props
    assert raw.get("additionalProperties") is False
    written = HANDWRITTEN[schema.type_name].schema.get("attributes", {})
    for name, attribute in schema.attributes.items():
        if name in written:  # the CDK does not type attributes; what we wrote does
            assert attribute.get("type") in {"string", "integer", "number", "boolean", "array", "object"}, (
                name
            )


@pytest.mark.parametrize("type_name", sorted(VALID_PROPERTIES))
def test_spec_example_properties_are_accepted(type_name: str):
    errors = validate_properties(VALID_PROPERTIES[type_name], schema_for(type_name), BASE)
    assert errors == []


@pytest.mark.parametrize(("type_name", "prop", "value"), BAD_VALUES, ids=lambda v: str(v)[:30])
def test_out_of_spec_values_are_rejected_at_their_path(type_name: str, prop: str, value):
    properties = copy.deepcopy(VALID_PROPERTIES[type_name])
    properties[prop] = value
    errors = validate_properties(properties, schema_for(type_name), BASE)
    assert errors, f"{type_name}.{prop}={value!r} was accepted"
    assert any(e.path[: len(BASE) + 1] == BASE + (prop,) for e in errors), [e.path for e in errors]


@pytest.mark.parametrize("type_name", sorted(VALID_PROPERTIES))
def test_unknown_property_is_rejected_with_its_name(type_name: str):
    properties = dict(VALID_PROPERTIES[type_name], NoSuchProperty=1)
    errors = validate_properties(properties, schema_for(type_name), BASE)
    assert [e.path for e in errors] == [BASE + ("NoSuchProperty",)]
    assert "NoSuchProperty" in errors[0].message


@pytest.mark.parametrize("type_name", sorted(VALID_PROPERTIES))
def test_required_properties_are_reported_one_by_one(type_name: str):
    schema = schema_for(type_name)
    errors = validate_properties({}, schema, BASE)
    missing = sorted(e.message.split("'")[1] for e in errors if e.details.get("keyword") == "required")
    assert missing == sorted(schema.required)


def test_update_no_properties_are_create_only():
    assert schema_for("ALIYUN::FC::Service").create_only == {"ServiceName"}
    assert schema_for("ALIYUN::FC::Function").create_only == {"ServiceName", "FunctionName"}
    assert {"TriggerType", "TriggerName", "SourceArn"} <= schema_for("ALIYUN::FC::Trigger").create_only
    assert "TriggerConfig" not in schema_for("ALIYUN::FC::Trigger").create_only
    layer = schema_for("ALIYUN::FC::Layer")
    assert layer.create_only == set(layer.properties)
    assert {"CheckError", "ServiceRegionId", "CheckAsyncInvocation"} == schema_for(
        "ALIYUN::FC::FunctionInvoker"
    ).create_only


def test_attributes_and_attribute_patterns():
    assert {"ServiceId", "ServiceName", "InternetAccess"} <= set(attribute_names("ALIYUN::FC::Service"))
    assert attribute_names("ALIYUN::FC::Service").type_of("InternetAccess") == "boolean"
    stack = attribute_names("ALIYUN::ROS::Stack")
    assert "Outputs.VpcId" in stack and "Outputs" in stack and "Bogus" not in stack
    custom = attribute_names("Custom::Anything")
    assert "Whatever" in custom and custom.type_of("Whatever") is None
    assert "PublicIp" in attribute_names("ALIYUN::ECS::Instance")
    assert attribute_names("ALIYUN::No::Such") is None
    waits = attribute_names("ALIYUN::ROS::WaitCondition")
    assert {
        "Data",
        "ErrorData",
        "JoinedErrorData",
        "LastData",
        "LastErrorData",
        "JoinedLastErrorData",
    } <= set(waits)
    assert "UrlInternet" in attribute_names("ALIYUN::FC::Trigger")
    assert "Nope" not in attribute_names("ALIYUN::FC::Trigger")


def test_custom_types_share_the_custom_resource_schema():
    assert schema_for("Custom::Add") is schema_for("ALIYUN::ROS::CustomResource")
    assert schema_for("Custom::") is None
    assert schema_for("ALIYUN::NOPE::Thing") is None
