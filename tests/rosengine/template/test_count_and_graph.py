"""Count expansion (docs/reference/ros-template-language.md#count) and the dependency graph (edges, cycles,
generations)."""

from __future__ import annotations

from rosengine.errors import CIRCULAR_DEPENDENCY, INVALID_TEMPLATE_ATTRIBUTE, INVALID_TEMPLATE_REFERENCE
from rosengine.template import prepare
from tests.support.templates import attribute, errors_from, only_error, physical_id, yaml_template

COUNT = """
Parameters:
  N: {Type: Number, Default: 2}
  Names: {Type: CommaDelimitedList, Default: "a, b"}
Resources:
  Eip:
    Type: ALIYUN::VPC::EIP
    Count: !Ref N
    Properties:
      Name: !Select [!Ref ALIYUN::Index, !Ref Names]
      Label: !Sub "eip-${ALIYUN::Index}"
  Assoc:
    Type: ALIYUN::VPC::EIPAssociation
    Count: !Ref N
    Properties:
      AllocationId: !Select [!Ref ALIYUN::Index, !Ref Eip]
      Arn: !Select [!Ref ALIYUN::Index, !GetAtt Eip.Arn]
  After:
    Type: X::Y
    DependsOn: Eip
    Properties:
      All: !GetAtt Eip.Arn
Outputs:
  Ids: {Value: !Ref Eip}
"""


def test_count_expands_copies_with_index():
    prepared = prepare(yaml_template(COUNT))
    assert list(prepared.resources) == ["Eip[0]", "Eip[1]", "Assoc[0]", "Assoc[1]", "After"]
    copy = prepared.resources["Eip[1]"]
    assert (copy.count_of, copy.index, copy.path) == ("Eip", 1, ("Resources", "Eip"))
    assert prepared.resolve_properties("Eip[1]", attribute, physical_id) == {"Name": "b", "Label": "eip-1"}


def test_select_over_count_is_folded_per_copy():
    prepared = prepare(yaml_template(COUNT))
    assert prepared.resources["Assoc[1]"].properties == {
        "AllocationId": {"Ref": "Eip[1]"},
        "Arn": {"Fn::GetAtt": ["Eip[1]", "Arn"]},
    }
    assert prepared.graph.dependencies("Assoc[1]") == {"Eip[1]"}
    assert prepared.resolve_properties("Assoc[0]", attribute, physical_id) == {
        "AllocationId": "id-Eip[0]",
        "Arn": "Eip[0].Arn",
    }


def test_ref_getatt_and_depends_on_to_a_count_resource_become_lists():
    prepared = prepare(yaml_template(COUNT), {"N": "3"})
    assert prepared.graph.dependencies("After") == {"Eip[0]", "Eip[1]", "Eip[2]"}
    assert prepared.resolve_properties("After", attribute, physical_id) == {
        "All": ["Eip[0].Arn", "Eip[1].Arn", "Eip[2].Arn"]
    }
    assert prepared.resolve_outputs(attribute, physical_id) == {
        "Ids": ["id-Eip[0]", "id-Eip[1]", "id-Eip[2]"]
    }


def test_count_zero_and_bad_counts():
    prepared = prepare(yaml_template(COUNT), {"N": "0"})
    assert list(prepared.resources) == ["After"]
    assert prepared.resolve_outputs(attribute, physical_id) == {"Ids": []}
    err = only_error(
        lambda: prepare(
            yaml_template(
                "Parameters:\n  N: {Type: Number, Default: -1}\n"
                "Resources:\n  A: {Type: X::Y, Count: !Ref N}\n"
            )
        )
    )
    assert "natural number" in err.message and err.path == ("Resources", "A", "Count")


def test_count_copy_name_collision():
    err = only_error(
        lambda: prepare(yaml_template("Resources:\n  A: {Type: X::Y, Count: 1}\n  A[0]: {Type: X::Y}\n"))
    )
    assert "already a resource" in err.message


def test_static_unknown_count_gives_one_copy():
    template = yaml_template(
        "Parameters:\n  N: {Type: Number}\nResources:\n  A: {Type: X::Y, Count: !Ref N}\n"
    )
    assert list(prepare(template, static=True).resources) == ["A[0]"]


GRAPH = """
Parameters:
  P: {Type: String, Default: x}
Resources:
  Vpc: {Type: ALIYUN::ECS::VPC}
  VSwitch: {Type: ALIYUN::ECS::VSwitch, Properties: {VpcId: !Ref Vpc}}
  Sg: {Type: ALIYUN::ECS::SecurityGroup, Properties: {VpcId: {"Fn::GetAtt": "Vpc.VpcId"}}}
  Ecs:
    Type: ALIYUN::ECS::Instance
    DependsOn: [Sg]
    Properties:
      Name: !Sub ["${P}-${VSwitch}-${Vpc.VpcId}-${Mine}-${!Literal}", {Mine: !Ref P}]
  Log: {Type: X::Y, DependsOn: Ecs}
"""


def test_edges_from_ref_getatt_sub_and_depends_on():
    graph = prepare(yaml_template(GRAPH)).graph
    assert graph.dependencies("VSwitch") == {"Vpc"}
    assert graph.dependencies("Sg") == {"Vpc"}
    assert graph.dependencies("Ecs") == {"Sg", "VSwitch", "Vpc"}
    assert graph.dependents("Vpc") == {"VSwitch", "Sg", "Ecs"}
    assert graph.generations() == [["Vpc"], ["Sg", "VSwitch"], ["Ecs"], ["Log"]]
    assert graph.creation_order() == ["Vpc", "Sg", "VSwitch", "Ecs", "Log"]
    assert graph.deletion_order() == ["Log", "Ecs", "Sg", "VSwitch", "Vpc"]


def test_references_to_nothing_are_all_reported():
    errors = errors_from(
        lambda: prepare(
            yaml_template("""
        Resources:
          A:
            Type: X::Y
            DependsOn: Ghost
            Properties: {R: !Ref Nope, G: !GetAtt Phantom.Arn, S: !Sub "${Spirit}"}
        Outputs:
          O: {Value: !Ref Wraith}
        """)
        )
    )
    assert {(err.code, err.details.get("reference")) for err in errors} == {
        (INVALID_TEMPLATE_REFERENCE, name) for name in ("Ghost", "Nope", "Phantom", "Spirit", "Wraith")
    }
    assert all(err.line for err in errors)


def test_attribute_names_are_checked_when_the_type_is_known():
    template = yaml_template(
        "Resources:\n  A: {Type: T::Known}\n  U: {Type: T::Unknown}\n"
        "  B: {Type: X::Y, Properties: {X: !GetAtt A.Nope, Y: !GetAtt A.Arn, Z: !GetAtt U.Any}}\n"
    )
    names = {"T::Known": {"Arn"}}
    err = only_error(lambda: prepare(template, attribute_names=names.get))
    assert err.code == INVALID_TEMPLATE_ATTRIBUTE
    assert err.message == "The Referenced Attribute (A Nope) is incorrect."
    assert err.path == ("Resources", "B", "Properties", "X", "Fn::GetAtt") and err.line == 5


def test_a_cycle_is_reported_with_every_member():
    errors = errors_from(
        lambda: prepare(
            yaml_template("""
        Resources:
          A: {Type: X::Y, Properties: {P: !Ref C}}
          B: {Type: X::Y, Properties: {P: !GetAtt A.Arn}}
          C: {Type: X::Y, DependsOn: B}
          Self: {Type: X::Y, Properties: {P: !Ref Self}}
          Fine: {Type: X::Y}
        """)
        )
    )
    cycles = [err for err in errors if err.code == CIRCULAR_DEPENDENCY]
    assert len(cycles) == 2
    assert cycles[0].details["members"] == ["A", "B", "C"]
    assert cycles[0].message.startswith("Circular Dependency Found: A, B, C depend on each other")
    assert "A -> B -> C -> A" in cycles[0].message
    assert cycles[1].details["members"] == ["Self"]


def test_condition_false_dependencies_are_ignored():
    template = yaml_template(
        "Conditions:\n  Never: !Equals [a, b]\nResources:\n  Opt: {Type: X::Y, Condition: Never}\n"
        "  R: {Type: X::Y, DependsOn: Opt, Properties: {P: !If [Never, !Ref Opt, x]}}\n"
    )
    prepared = prepare(template)
    assert prepared.graph.dependencies("R") == set()
    assert prepared.resolve_properties("R", attribute, physical_id) == {"P": "x"}


def test_inline_nested_template_bodies_are_not_scanned_or_evaluated():
    template = yaml_template(
        "Resources:\n  Nested:\n    Type: ALIYUN::ROS::Stack\n    Properties:\n"
        "      TemplateBody:\n        ROSTemplateFormatVersion: '2015-09-01'\n"
        "        Resources: {Inner: {Type: X::Y, Properties: {P: !Ref InnerParam}}}\n"
        "      Parameters: {InnerParam: !Ref ALIYUN::Region}\n"
    )
    prepared = prepare(template, identity=None)
    props = prepared.resolve_properties("Nested", attribute, physical_id)
    assert props["TemplateBody"]["Resources"]["Inner"]["Properties"] == {"P": {"Ref": "InnerParam"}}
    assert props["Parameters"]["InnerParam"] == prepared.identity.region
