"""Conditions, Rules, Locals, pseudo parameters, outputs and property resolution."""

from __future__ import annotations

from rosengine.errors import (
    CIRCULAR_DEPENDENCY,
    INVALID_TEMPLATE_REFERENCE,
    NOT_SUPPORTED,
    STACK_VALIDATION_FAILED,
    TemplateError,
)
from rosengine.functions.base import Unknown
from rosengine.template import StackIdentity, prepare
from tests.support.templates import attribute, errors_from, only_error, physical_id, yaml_template

CONDITIONS = """
Parameters:
  Env: {Type: String, Default: dev}
  Flag: {Type: Boolean, Default: false}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not IsProd
  Both: !And [IsDev, !Not [IsProd]]
  Either: !Or [IsProd, Both]
  FromBool: !Ref Flag
Resources:
  Always:
    Type: X::Y
    Properties: {Size: !If [IsProd, big, small], Opt: !If [IsProd, x, !Ref ALIYUN::NoValue]}
  OnlyProd: {Type: X::Y, Condition: IsProd}
  Guarded: {Type: X::Y, Properties: {P: !If [IsProd, !Ref OnlyProd, none]}}
Outputs:
  ProdId: {Value: !Ref OnlyProd, Condition: IsProd}
  Size: {Value: !If [IsDev, dev-size, prod-size]}
"""


def test_conditions_evaluate_with_names_inside_and_or_not():
    prepared = prepare(yaml_template(CONDITIONS))
    assert prepared.conditions == {
        "IsProd": False,
        "IsDev": True,
        "Both": True,
        "Either": True,
        "FromBool": False,
    }


def test_condition_false_resources_and_outputs_are_removed():
    prepared = prepare(yaml_template(CONDITIONS))
    assert set(prepared.resources) == {"Always", "Guarded"}
    assert set(prepared.outputs) == {"Size"}
    assert prepared.resolve_properties("Always", attribute, physical_id) == {"Size": "small"}
    assert prepared.resolve_properties("Guarded", attribute, physical_id) == {"P": "none"}
    assert prepared.resolve_outputs(attribute, physical_id) == {"Size": "dev-size"}


def test_condition_true_keeps_them():
    prepared = prepare(yaml_template(CONDITIONS), {"Env": "prod"})
    assert set(prepared.resources) == {"Always", "OnlyProd", "Guarded"}
    assert prepared.resolve_outputs(attribute, physical_id) == {"ProdId": "id-OnlyProd", "Size": "prod-size"}
    assert prepared.resolve_properties("Guarded", attribute, physical_id) == {"P": "id-OnlyProd"}
    assert prepared.graph.dependencies("Guarded") == {"OnlyProd"}


def test_unguarded_reference_to_a_removed_resource_is_located():
    template = yaml_template(CONDITIONS + "  Bad: {Value: !Ref OnlyProd}\n")
    prepared = prepare(template)
    try:
        prepared.resolve_outputs(attribute, physical_id)
    except TemplateError as err:
        assert err.code == INVALID_TEMPLATE_REFERENCE and "condition 'IsProd' is false" in err.message
        assert err.path == ("Outputs", "Bad", "Value") and err.line is not None
    else:
        raise AssertionError("expected a TemplateError")


def test_condition_cycles_are_detected():
    errors = errors_from(lambda: prepare(yaml_template("Conditions:\n  A: !Not B\n  B: !And [A, true]\n")))
    assert errors[0].code == CIRCULAR_DEPENDENCY
    assert "A -> B -> A" in errors[0].message


def test_conditions_may_only_reference_parameters():
    err = only_error(
        lambda: prepare(
            yaml_template("Conditions:\n  C: !Equals [!Ref R, x]\nResources:\n  R: {Type: X::Y}\n")
        )
    )
    assert err.code == INVALID_TEMPLATE_REFERENCE and "can only reference parameters" in err.message


def test_undefined_condition_names():
    errors = errors_from(
        lambda: prepare(
            yaml_template(
                "Resources:\n  R: {Type: X::Y, Condition: Nope}\nOutputs:\n  O: {Value: 1, Condition: Nope}\n"
            )
        )
    )
    assert {err.path for err in errors} == {("Resources", "R", "Condition"), ("Outputs", "O", "Condition")}


def test_condition_must_be_boolean():
    err = only_error(
        lambda: prepare(
            yaml_template("Parameters:\n  P: {Type: String, Default: maybe}\nConditions:\n  C: !Ref P\n")
        )
    )
    assert err.code == STACK_VALIDATION_FAILED and "true or false" in err.message


def test_static_unknown_conditions_keep_resources_and_check_both_branches():
    template = yaml_template(
        "Parameters:\n  Env: {Type: String}\nConditions:\n  P: !Equals [!Ref Env, prod]\n"
        "Resources:\n  R: {Type: X::Y, Condition: P, Properties: {A: !If [P, 1, 1]}}\n"
    )
    prepared = prepare(template, static=True)
    assert prepared.unknown_conditions == {"P"} and "R" in prepared.resources
    assert prepared.resolve_properties("R", attribute, physical_id) == {"A": 1}


RULES = """
Parameters:
  Zone1: {Type: String}
  Zone2: {Type: String}
  Env: {Type: String, Default: dev}
Rules:
  Different:
    Assertions:
      - Assert: !Not [!Equals [!Ref Zone1, !Ref Zone2]]
        AssertDescription: Zones must be different
  ProdOnly:
    RuleCondition: !Equals [!Ref Env, prod]
    Assertions:
      - Assert: !Equals [!Ref Zone1, cn-hangzhou-a]
"""


def test_rules_pass_and_fail_with_their_description():
    template = yaml_template(RULES)
    prepare(template, {"Zone1": "a", "Zone2": "b"})
    err = only_error(lambda: prepare(template, {"Zone1": "a", "Zone2": "a"}))
    assert err.code == STACK_VALIDATION_FAILED
    assert err.message == "Rule Different failed: Zones must be different"
    assert err.path == ("Rules", "Different", "Assertions", 0, "Assert") and err.line == 10


def test_rule_condition_false_skips_the_rule_and_true_applies_it():
    template = yaml_template(RULES)
    prepare(template, {"Zone1": "x", "Zone2": "y"})
    err = only_error(lambda: prepare(template, {"Zone1": "x", "Zone2": "y", "Env": "prod"}))
    assert "Rule ProdOnly failed" in err.message and "assertion 0" in err.message


def test_rules_with_unknown_values_are_skipped_statically():
    prepare(yaml_template(RULES), static=True)


LOCALS = """
Parameters:
  Name: {Type: String, Default: web}
Locals:
  Prefix: {Value: !Sub "${Name}-app"}
  Full: {Type: Eval, Value: !Join ["-", [!Ref Prefix, !Ref ALIYUN::Region]]}
Resources:
  R: {Type: X::Y, Properties: {N: !Ref Full, P: !Ref Prefix}}
"""


def test_locals_macro_and_eval():
    prepared = prepare(yaml_template(LOCALS), identity=StackIdentity(region="cn-beijing"))
    assert prepared.resolve_properties("R", attribute, physical_id) == {
        "N": "web-app-cn-beijing",
        "P": "web-app",
    }


def test_locals_cannot_reference_resources_and_cannot_be_used_in_sub():
    errors = errors_from(
        lambda: prepare(
            yaml_template(
                "Locals:\n  L: {Value: !Ref R}\nResources:\n  R: {Type: X::Y, Properties: {A: !Sub '${L}'}}\n"
            )
        )
    )
    messages = " | ".join(err.message for err in errors)
    assert "Locals can only reference parameters and other locals" in messages
    assert "cannot be referenced with ${} in Fn::Sub" in messages


def test_local_cycles_and_depth():
    errors = errors_from(
        lambda: prepare(yaml_template("Locals:\n  A: {Type: Eval, Value: !Ref B}\n  B: {Value: !Ref A}\n"))
    )
    assert errors[0].code == CIRCULAR_DEPENDENCY and "A -> B -> A" in errors[0].message
    chain = "".join(f"  L{i}: {{Value: !Ref L{i + 1}}}\n" for i in range(7)) + "  L7: {Value: 1}\n"
    err = errors_from(
        lambda: prepare(yaml_template(f"Locals:\n{chain.replace('L0: {', 'L0: {Type: Eval, ')}"))
    )[0]
    assert "more than 5 levels" in err.message


def test_datasource_locals_are_not_supported():
    err = only_error(lambda: yaml_template("Locals:\n  D: {Type: 'DATASOURCE::VPC::Vpcs', Properties: {}}\n"))
    assert err.code == NOT_SUPPORTED


def test_pseudo_parameters():
    identity = StackIdentity(
        stack_name="s1",
        stack_id="sid",
        region="cn-shanghai",
        account_id="111",
        tenant_id="222",
        resource_group_id="rg-x",
    )
    template = yaml_template(
        "Resources:\n  R:\n    Type: X::Y\n    Properties:\n"
        + "".join(
            f"      {name}: !Ref ALIYUN::{name}\n"
            for name in (
                "StackName",
                "StackId",
                "Region",
                "AccountId",
                "TenantId",
                "ResourceGroupId",
                "NoValue",
            )
        )
    )
    prepared = prepare(template, identity=identity)
    assert prepared.resolve_properties("R", attribute, physical_id) == {
        "StackName": "s1",
        "StackId": "sid",
        "Region": "cn-shanghai",
        "AccountId": "111",
        "TenantId": "222",
        "ResourceGroupId": "rg-x",
    }
    assert StackIdentity(account_id="9").tenant_id == "9"


def test_index_outside_count_is_an_error():
    err = only_error(
        lambda: prepare(yaml_template("Resources:\n  R: {Type: X::Y, Properties: {I: !Ref ALIYUN::Index}}\n"))
    )
    assert err.code == INVALID_TEMPLATE_REFERENCE and "Count" in err.message


def test_function_errors_in_properties_are_located_at_the_argument():
    prepared = prepare(
        yaml_template(
            "Resources:\n  R:\n    Type: X::Y\n    Properties:\n      J: !Join [',', [a, {k: v}]]\n"
        )
    )
    try:
        prepared.resolve_properties("R", attribute, physical_id)
    except TemplateError as err:
        assert err.path[:5] == ("Resources", "R", "Properties", "J", "Fn::Join")
        assert (err.file, err.line) == ("t.yml", 6)
    else:
        raise AssertionError("expected a TemplateError")


def test_get_att_and_unknown_values():
    template = yaml_template(
        "Resources:\n  A: {Type: X::Y}\n  B: {Type: X::Y, Properties: {V: !GetAtt A.Arn,"
        " J: !Join ['-', [!GetAtt A.Arn, x]]}}\n"
    )
    prepared = prepare(template, static=True)
    unknown = lambda logical_id, name: Unknown("string", f"{logical_id}.{name}")  # noqa: E731
    props = prepared.resolve_properties("B", unknown, physical_id)
    assert isinstance(props["V"], Unknown) and isinstance(props["J"], Unknown) and props["J"].type == "string"
