"""Property validation rules beyond single-schema ranges: ROS coercion, unknown values, TriggerConfig
case-insensitivity, suggestions, messages and cross-property rules."""

from __future__ import annotations

import pytest

from rosengine.errors import INVALID_TEMPLATE_PROPERTY_TYPE, STACK_VALIDATION_FAILED
from rosengine.functions.base import Unknown
from rosengine.validate import schema_for, validate_properties

BASE = ("Resources", "Fn", "Properties")


def fn(**extra):
    return {
        "ServiceName": "svc",
        "FunctionName": "fn",
        "Handler": "index.handler",
        "Runtime": "python3",
        **extra,
    }


def check(type_name: str, properties, base=BASE):
    return validate_properties(properties, schema_for(type_name), base)


def paths(errors):
    return [e.path[len(BASE) :] for e in errors]


@pytest.mark.parametrize("value", ["128", 128, 128.0, " 256 "])
def test_integers_given_as_strings_are_coerced(value):
    assert check("ALIYUN::FC::Function", fn(MemorySize=value)) == []


@pytest.mark.parametrize("value", ["abc", "12.5", 12.5, True, [128], {"a": 1}])
def test_non_integers_are_type_errors(value):
    errors = check("ALIYUN::FC::Function", fn(MemorySize=value))
    assert paths(errors) == [("MemorySize",)]
    assert errors[0].code == INVALID_TEMPLATE_PROPERTY_TYPE
    assert "integer" in errors[0].message


def test_coerced_strings_are_range_checked():
    errors = check("ALIYUN::FC::Function", fn(Timeout="86401"))
    assert paths(errors) == [("Timeout",)]
    assert errors[0].code == STACK_VALIDATION_FAILED
    assert "1-86400" in errors[0].message


@pytest.mark.parametrize("value", ["true", "False", True])
def test_booleans_given_as_strings_are_coerced(value):
    assert check("ALIYUN::FC::Service", {"ServiceName": "s", "InternetAccess": value}) == []


def test_numbers_are_accepted_for_strings_and_enums_match_coerced_forms():
    assert check("ALIYUN::FC::Alias", {"ServiceName": "s", "AliasName": "a", "VersionId": 1}) == []
    assert check("ALIYUN::FC::Function", fn(DiskSize="512")) == []
    assert check("ALIYUN::FC3::LayerVersion", {"LayerName": "l", "Acl": 1}) == []


def test_multiple_of_tolerates_binary_fractions():
    for cpu in (0.05, 0.15, 0.35, 1.45, 16):
        memory = int(cpu * 2 * 1024 // 64 * 64) or 128
        assert (
            check(
                "ALIYUN::FC3::Function",
                {
                    "FunctionName": "f",
                    "Handler": "h",
                    "Runtime": "r",
                    "Code": {},
                    "Cpu": cpu,
                    "MemorySize": max(memory, 128),
                },
            )
            == []
        ), cpu
    errors = check(
        "ALIYUN::FC3::Function",
        {"FunctionName": "f", "Handler": "h", "Runtime": "r", "Code": {}, "Cpu": 0.12},
    )
    assert paths(errors) == [("Cpu",)] and "multiple of 0.05" in errors[0].message


def test_unknown_values_are_checked_by_declared_type_only():
    props = fn(
        MemorySize=Unknown("string", "Ref P"),
        Timeout=Unknown("number"),
        Handler=Unknown(None),
        EnvironmentVariables=Unknown("object"),
        ServiceName=Unknown("string"),
    )
    assert check("ALIYUN::FC::Function", props) == []
    errors = check("ALIYUN::FC::Function", fn(Handler=Unknown("array", "Fn::Split")))
    assert paths(errors) == [("Handler",)]
    assert errors[0].code == INVALID_TEMPLATE_PROPERTY_TYPE and "unknown array" in errors[0].message


def test_unknown_values_skip_value_constraints():
    props = fn(FunctionName=Unknown("string"), InstanceType=Unknown("string"), MemorySize=Unknown("integer"))
    assert check("ALIYUN::FC::Function", props) == []


def test_unknown_properties_map_is_skipped_and_non_map_is_an_error():
    assert check("ALIYUN::FC::Function", Unknown("object")) == []
    errors = check("ALIYUN::FC::Function", ["a"])
    assert errors[0].code == INVALID_TEMPLATE_PROPERTY_TYPE and errors[0].path == BASE


def test_none_properties_report_required_ones():
    errors = check("ALIYUN::FC::Version", None)
    assert [e.message for e in errors] == ["required property 'ServiceName' is missing"]
    assert errors[0].path == BASE


def test_unknown_property_suggests_the_closest_name():
    errors = check("ALIYUN::FC::Function", fn(Timeot=3, Memorysize=128))
    assert paths(errors) == [("Memorysize",), ("Timeot",)]
    assert "did you mean 'MemorySize'" in errors[0].message
    assert "did you mean 'Timeout'" in errors[1].message
    assert errors[1].details["suggestion"] == "Timeout"


def test_all_errors_of_a_resource_are_reported():
    errors = check(
        "ALIYUN::FC::Function",
        fn(MemorySize=1, Timeout=0, InstanceConcurrency=0, Bogus=1, Code={"OssBucketName": "b"}),
    )
    assert paths(errors) == [("Bogus",), ("Code",), ("InstanceConcurrency",), ("MemorySize",), ("Timeout",)]


def test_nested_errors_point_inside_the_map_and_list():
    errors = check(
        "ALIYUN::FC::Service",
        {
            "ServiceName": "s",
            "NasConfig": {
                "UserId": 70000,
                "GroupId": 1,
                "MountPoints": [{"ServerAddr": "a", "MountDir": "/m"}, {"ServerAddr": "b"}],
            },
        },
    )
    assert sorted(paths(errors)) == [("NasConfig", "MountPoints", 1), ("NasConfig", "UserId")]


def trigger(trigger_type, config):
    return {
        "ServiceName": "s",
        "FunctionName": "f",
        "TriggerName": "t",
        "TriggerType": trigger_type,
        "TriggerConfig": config,
    }


@pytest.mark.parametrize(
    "config",
    [
        {"CronExpression": "@every 5m", "Enable": True},
        {"cronExpression": "0 0/4 * * * *", "enable": "true", "payload": "p"},
        {"CRONEXPRESSION": "0 0 8 * * *", "Enabled": False},
    ],
)
def test_timer_trigger_config_keys_are_case_insensitive(config):
    assert check("ALIYUN::FC::Trigger", trigger("timer", config)) == []


def test_trigger_config_errors_point_at_the_key_as_written():
    errors = check(
        "ALIYUN::FC::Trigger",
        trigger("timer", {"CronExpression": "0 * * * *", "Enable": "yes", "Payloda": "x"}),
    )
    assert sorted(paths(errors)) == [
        ("TriggerConfig", "CronExpression"),
        ("TriggerConfig", "Enable"),
        ("TriggerConfig", "Payloda"),
    ]
    unknown = next(e for e in errors if e.path[-1] == "Payloda")
    assert "did you mean 'payload'" in unknown.message


def test_trigger_config_shape_follows_trigger_type():
    assert (
        check("ALIYUN::FC::Trigger", trigger("http", {"AuthType": "anonymous", "Methods": ["GET", "POST"]}))
        == []
    )
    errors = check("ALIYUN::FC::Trigger", trigger("http", {"AuthType": "jwt", "Methods": ["OPTIONS"]}))
    assert sorted(paths(errors)) == [("TriggerConfig", "AuthType"), ("TriggerConfig", "Methods", 0)]
    assert (
        check(
            "ALIYUN::FC3::Trigger",
            {
                "FunctionName": "f",
                "TriggerName": "t",
                "TriggerType": "http",
                "TriggerConfig": {"AuthType": "jwt", "Methods": ["OPTIONS"]},
            },
        )
        == []
    )
    oss = {
        "BucketName": "b",
        "Events": ["oss:ObjectCreated:*"],
        "Filter": {"Key": {"Prefix": "in/", "Suffix": ".png"}},
    }
    assert check("ALIYUN::FC::Trigger", trigger("oss", oss)) == []
    errors = check("ALIYUN::FC::Trigger", trigger("mns_topic", {"NotifyStrategy": "SOMETIMES"}))
    assert sorted(e.message for e in errors)[0].startswith("'NotifyStrategy' is 'SOMETIMES'")
    assert any("notifyContentFormat" in e.message for e in errors)


def test_unknown_trigger_type_checks_no_trigger_config_shape():
    props = trigger(Unknown("string", "Ref Type"), {"anything": 1})
    assert check("ALIYUN::FC::Trigger", props) == []


def test_eventbridge_config_in_camel_case_from_real_templates():
    config = {
        "triggerEnable": True,
        "asyncInvocationType": False,
        "eventSourceConfig": {"eventSourceType": "Default", "eventSourceParameters": {}},
        "eventSinkConfig": {"deliveryOption": {"mode": "event-driven", "eventSchema": "CloudEvents"}},
        "runOptions": {"retryStrategy": {"PushRetryStrategy": "BACKOFF_RETRY"}},
    }
    assert check("ALIYUN::FC::Trigger", trigger("eventbridge", config)) == []


def test_cross_property_rules():
    errors = check("ALIYUN::FC::Function", fn(InstanceConcurrency=5, InstanceSoftConcurrency=6))
    assert paths(errors) == [("InstanceSoftConcurrency",)]
    errors = check("ALIYUN::FC::Function", fn(Cpu=2, MemorySize=1024))
    assert paths(errors) == [("Cpu",)] and "1:1 and 1:4" in errors[0].message
    assert check("ALIYUN::FC::Function", fn(Cpu=1, MemorySize=4096)) == []


def test_fc3_function_needs_exactly_one_code_source():
    base = {"FunctionName": "f", "Handler": "h", "Runtime": "custom-container"}
    assert check("ALIYUN::FC3::Function", dict(base, CustomContainerConfig={"Image": "i"})) == []
    errors = check("ALIYUN::FC3::Function", base)
    assert [e.message for e in errors] == ["one of Code, CustomContainerConfig is required"]
    errors = check("ALIYUN::FC3::Function", dict(base, Code={}, CustomContainerConfig={"Image": "i"}))
    assert "only one of" in errors[0].message


def test_nested_stack_needs_a_template_source():
    assert check("ALIYUN::ROS::Stack", {"TemplateURL": "oss://b/t.yml"}) == []
    errors = check("ALIYUN::ROS::Stack", {"Parameters": {}})
    assert errors[0].message == "one of TemplateBody, TemplateURL, TemplateId is required"


def test_custom_resource_properties():
    assert (
        check("Custom::Add", {"ServiceToken": "acs:fc:r:1:services/s/functions/f", "Parameters": {"X": 1}})
        == []
    )
    errors = check("Custom::Add", {"ServiceToken": "t", "X": 1})
    assert paths(errors) == [("X",)]


def test_fast_path_agrees_with_jsonschema_on_every_example():
    """The compiled yes/no check must never pass what jsonschema rejects (and vice versa)."""
    import copy

    from rosengine.validate.properties import compiled
    from tests.support.property_examples import BAD_VALUES, VALID_PROPERTIES

    samples = [(t, p) for t, p in VALID_PROPERTIES.items()]
    for type_name, prop, value in BAD_VALUES:
        props = copy.deepcopy(VALID_PROPERTIES[type_name])
        props[prop] = value
        samples.append((type_name, props))
    for type_name, props in list(samples):
        samples.append((type_name, dict(props, Extra=1)))
        samples.append((type_name, {k: Unknown("string") for k in props}))
        samples.append((type_name, {k: Unknown("array") for k in props}))
        samples.append((type_name, {}))
    samples.append(("ALIYUN::FC::Trigger", trigger("timer", {"cronExpression": "0 0 * * * *"})))
    samples.append(("ALIYUN::FC::Trigger", trigger("oss", {"bucketName": "b", "filter": {"key": {"x": 1}}})))
    for type_name, props in samples:
        comp = compiled(schema_for(type_name))
        assert comp.is_valid is not None, type_name
        expected = not any(True for _ in comp.validator.iter_errors(props))
        assert comp.is_valid(props) == expected, (type_name, props)


@pytest.mark.timeout(20)  # a guard: with re the check never finished
def test_pattern_properties_match_names_in_linear_time():
    """A schema's ``patternProperties`` went through jsonschema's ``re.search``: Python's
    backtracking engine on ``(a+)+$`` and a name of 40 ``a`` and a ``!`` never finished."""
    from rosengine.validate.jsonschema_ext import RosValidator

    schema = {"type": "object", "patternProperties": {"(a+)+$": {"type": "integer"}}}
    validator = RosValidator(schema)
    assert validator.is_valid({"a" * 40 + "!": 1, "b": "x"})
    assert [e.message for e in validator.iter_errors({"aaa": "x"})] == ["'x' is not of type 'integer'"]
