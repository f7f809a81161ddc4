"""Structural checks of every section (docs/reference/ros-template-language.md)."""

from __future__ import annotations

import pytest

from rosengine.errors import (
    INVALID_TEMPLATE_SECTION,
    INVALID_TEMPLATE_VERSION,
    NOT_SUPPORTED,
    STACK_VALIDATION_FAILED,
)
from rosengine.template import load_template
from tests.support.templates import HEADER, errors_from, only_error, yaml_template


def test_minimal_template_is_valid():
    assert load_template('{"ROSTemplateFormatVersion": "2015-09-01"}').data == {
        "ROSTemplateFormatVersion": "2015-09-01"
    }


def test_missing_version():
    err = only_error(lambda: load_template("Resources: {}\n"))
    assert err.code == INVALID_TEMPLATE_VERSION and "missing" in err.message


@pytest.mark.parametrize("version", ["2010-09-09", "'2015-09-02'", "1"])
def test_wrong_version(version):
    err = only_error(lambda: load_template(f"ROSTemplateFormatVersion: {version}\n"))
    assert err.code == INVALID_TEMPLATE_VERSION
    assert err.path == ("ROSTemplateFormatVersion",) and err.line == 1


def test_unknown_section_with_suggestion():
    err = only_error(lambda: load_template(HEADER + "Resource: {}\n"))
    assert err.code == INVALID_TEMPLATE_SECTION
    assert err.message.startswith("The template section is invalid: Resource.")
    assert "Resources" in err.message and err.line == 2


def test_workspace_is_not_supported_yet():
    err = only_error(lambda: load_template(HEADER + "Workspace: {main.tf: x}\n"))
    assert err.code == NOT_SUPPORTED and "not supported yet" in err.message
    assert err.path == ("Workspace",)


def test_terraform_transform_is_not_supported_with_what_to_do_instead():
    err = only_error(
        lambda: load_template(HEADER + "Transform: Aliyun::Terraform-v1.5\nWorkspace: {main.tf: x}\n")
    )
    assert err.code == NOT_SUPPORTED and err.path == ("Transform",)
    assert "Terraform v1.5" in err.message and "terraform apply" in err.message


def test_section_shapes():
    errors = errors_from(lambda: yaml_template("Resources: [1]\nOutputs: x\nMetadata: 1\n"))
    assert {err.path for err in errors} == {("Resources",), ("Outputs",), ("Metadata",)}
    assert {err.code for err in errors} == {INVALID_TEMPLATE_SECTION}


def test_resource_keys_and_values_all_reported():
    errors = errors_from(
        lambda: yaml_template("""
        Resources:
          Good: {Type: X::Y, Properties: {}, DependsOn: [Other], Condition: C, DeletionPolicy: Retain,
                 Count: 2, Metadata: {}, Description: d}
          Other: {Type: X::Y}
          Typo: {Type: X::Y, DepensOn: Good}
          NoType: {Properties: {}}
          BadPolicy: {Type: X::Y, DeletionPolicy: Snapshot}
          BadDepends: {Type: X::Y, DependsOn: [1]}
          BadCount: {Type: X::Y, Count: -1}
          BadProps: {Type: X::Y, Properties: [1]}
          UpdatePolicy: {Type: X::Y, UpdatePolicy: {}}
          a/b: {Type: X::Y}
        Conditions:
          C: true
        """)
    )
    by_path = {err.path: err for err in errors}
    assert "did you mean 'DependsOn'" in by_path[("Resources", "Typo", "DepensOn")].message
    assert "has no Type" in by_path[("Resources", "NoType")].message
    assert "Delete or Retain" in by_path[("Resources", "BadPolicy", "DeletionPolicy")].message
    assert ("Resources", "BadDepends", "DependsOn", 0) in by_path
    assert "natural number" in by_path[("Resources", "BadCount", "Count")].message
    assert "must be a mapping" in by_path[("Resources", "BadProps", "Properties")].message
    assert ("Resources", "UpdatePolicy", "UpdatePolicy") in by_path
    assert "cannot contain '/'" in by_path[("Resources", "a/b")].message
    assert len(errors) == 8
    assert all(err.code == STACK_VALIDATION_FAILED for err in errors)


def test_module_resources_may_pin_a_version():
    yaml_template("Resources:\n  M: {Type: 'MODULE::ACS::OOS::Extension', Version: default}\n")


def test_outputs_need_value_and_known_keys():
    errors = errors_from(
        lambda: yaml_template("Outputs:\n  A: {Description: x}\n  B: {Value: 1, Export: x}\n")
    )
    messages = {err.path: err.message for err in errors}
    assert "has no Value" in messages[("Outputs", "A")]
    assert "unknown key 'Export'" in messages[("Outputs", "B", "Export")]


def test_mappings_shape_and_no_functions():
    errors = errors_from(
        lambda: yaml_template("""
        Mappings:
          Ok: {hangzhou: {"32": m-1}}
          ListInside: {ValueList: [1, 2], ValueString: baz}
          Scalar: 5
          Fn: {a: {b: !Ref X}}
        """)
    )
    paths = {err.path for err in errors}
    assert ("Mappings", "ListInside", "ValueList") in paths and (
        "Mappings",
        "ListInside",
        "ValueString",
    ) in paths
    assert ("Mappings", "Scalar") in paths
    assert ("Mappings", "Fn", "a", "b", "Ref") in paths


def test_functions_are_not_allowed_in_parameters():
    err = only_error(lambda: yaml_template("Parameters:\n  P: {Type: String, Default: !Ref X}\n"))
    assert err.path == ("Parameters", "P", "Default", "Ref") and "Parameters" in err.message


def test_association_property_metadata_may_hold_console_conditions():
    yaml_template(
        "Parameters:\n  P:\n    Type: String\n    AssociationPropertyMetadata:\n"
        "      Visible: {Condition: !Not [!Equals [a, b]]}\n"
    )


def test_rules_shape():
    many = ", ".join(["{Assert: true}"] * 101)
    errors = errors_from(
        lambda: yaml_template(
            """
        Rules:
          NoAssertions: {RuleCondition: true}
          Extra: {Assertions: [{Assert: true}], Other: 1}
          BadAssertion: {Assertions: [{AssertDescription: x}]}
          TooMany: {Assertions: [MANY]}
        """.replace("MANY", many)
        )
    )
    paths = {err.path for err in errors}
    assert ("Rules", "NoAssertions") in paths
    assert ("Rules", "Extra", "Other") in paths
    assert ("Rules", "BadAssertion", "Assertions", 0) in paths
    assert ("Rules", "TooMany", "Assertions") in paths


def test_locals_shape_and_datasource_not_supported():
    errors = errors_from(
        lambda: yaml_template("""
        Locals:
          NoValue: {Type: Eval}
          Ds: {Type: DATASOURCE::VPC::Vpcs, Properties: {}}
          Odd: {Type: Lambda, Value: 1}
        """)
    )
    by_path = {err.path: err for err in errors}
    assert "needs a Value" in by_path[("Locals", "NoValue")].message
    assert by_path[("Locals", "Ds", "Type")].code == NOT_SUPPORTED
    assert "unknown Type 'Lambda'" in by_path[("Locals", "Odd", "Type")].message


def test_names_must_be_unique_across_parameters_resources_locals():
    errors = errors_from(
        lambda: yaml_template("""
        Parameters: {A: {Type: String}, L: {Type: String}}
        Resources: {A: {Type: X::Y}}
        Locals: {L: {Value: 1}}
        """)
    )
    assert {err.path for err in errors} == {("Resources", "A"), ("Locals", "L")}


def test_condition_definitions_must_be_functions():
    err = only_error(lambda: yaml_template("Conditions:\n  C: yes please\n"))
    assert err.path == ("Conditions", "C")
