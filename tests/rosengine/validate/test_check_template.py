"""``check_template``: the one static check (ros validate, the engine's pre-flight), on real
templates: every type's properties and attributes, resource types, and errors that never hide
each other."""

from __future__ import annotations

import textwrap

from rosengine.errors import (
    INVALID_TEMPLATE_ATTRIBUTE,
    INVALID_TEMPLATE_PROPERTY_TYPE,
    STACK_VALIDATION_FAILED,
    UNKNOWN_RESOURCE_TYPE,
    Severity,
    TemplateError,
    format_path,
)
from rosengine.template import load_template
from rosengine.validate import check_template


def check(body: str, parameters: dict | None = None) -> list[TemplateError]:
    text = "ROSTemplateFormatVersion: '2015-09-01'\n" + textwrap.dedent(body)
    return check_template(load_template(text, filename="t.yml"), parameters)


def found(errors: list[TemplateError]) -> list[tuple[str, str, str]]:
    return [(e.code, e.severity.value, format_path(e.path)) for e in errors]


def test_a_clean_template_of_many_families_has_no_finding():
    errors = check(
        """
        Resources:
          Vpc:
            Type: ALIYUN::ECS::VPC
            Properties: {CidrBlock: 192.168.0.0/16, VpcName: demo}
          VSwitch:
            Type: ALIYUN::ECS::VSwitch
            Properties:
              VpcId: {Ref: Vpc}
              ZoneId: cn-hangzhou-h
              CidrBlock: 192.168.1.0/24
          Role:
            Type: ALIYUN::RAM::Role
            Properties:
              RoleName: demo
              AssumeRolePolicyDocument:
                Version: '1'
                Statement:
                  - Action: sts:AssumeRole
                    Effect: Allow
                    Principal: {Service: [ecs.aliyuncs.com]}
          Bucket:
            Type: ALIYUN::OSS::Bucket
            Properties: {BucketName: demo-bucket, AccessControl: private}
        Outputs:
          VpcId: {Value: {'Fn::GetAtt': [Vpc, VpcId]}}
          RoleArn: {Value: {'Fn::GetAtt': [Role, Arn]}}
          Domain: {Value: {'Fn::GetAtt': [Bucket, DomainName]}}
        """
    )
    assert errors == []


def test_every_kind_of_property_problem_is_reported_at_its_place():
    errors = check(
        """
        Resources:
          Role:
            Type: ALIYUN::RAM::Role
            Properties:
              RoleNam: demo
              MaxSessionDuration: 60
              Description: 7
              AssumeRolePolicyDocument: {Version: '1', Statement: [{Action: x, Effect: Allow, Bogus: 1}]}
          Bucket:
            Type: ALIYUN::OSS::Bucket
            Properties: {BucketName: b, AccessControl: everyone}
          Vpc:
            Type: ALIYUN::ECS::VPC
            Properties: {CidrBlock: [10.0.0.0/8]}
        """
    )
    by_path = {format_path(e.path): e for e in errors}
    assert "did you mean 'RoleName'" in by_path["Resources.Role.Properties.RoleNam"].message
    assert "required property 'RoleName' is missing" in by_path["Resources.Role.Properties"].message
    assert (
        "outside the allowed range 3600-43200"
        in by_path["Resources.Role.Properties.MaxSessionDuration"].message
    )
    nested = by_path["Resources.Role.Properties.AssumeRolePolicyDocument.Statement[0].Bogus"]
    assert "unknown property 'Bogus'" in nested.message
    assert "allowed values" in by_path["Resources.Bucket.Properties.AccessControl"].message
    cidr = by_path["Resources.Vpc.Properties.CidrBlock"]
    assert cidr.code == INVALID_TEMPLATE_PROPERTY_TYPE and "must be a string" in cidr.message
    assert "Resources.Role.Properties.Description" not in by_path  # 7 reads as "7", as ROS reads it
    assert all(e.line and e.file == "t.yml" for e in errors)


def test_lengths_and_patterns_of_the_cdk_are_checked():
    errors = check(
        """
        Resources:
          Cluster:
            Type: ALIYUN::FOAS::Cluster
            Properties:
              ClusterName: 9-not-a-name
              Description: d
              MasterInstanceType: ecs.g5.large
              OrderId: o
              OssBucket: b
              SlaveInstanceType: ecs.g5.large
              VpcId: v
              VSwitchId: s
              ZoneId: z
          Repo:
            Type: ALIYUN::ECS::SecurityGroup
            Properties:
              SecurityGroupName: x
              Tags: {'Fn::Split': [',', 'a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u']}
        """
    )
    messages = {format_path(e.path): e.message for e in errors}
    assert "does not match the pattern" in messages["Resources.Cluster.Properties.ClusterName"]
    assert "has 21 items; allowed: at most 20" in messages["Resources.Repo.Properties.Tags"]


def test_functions_and_parameters_resolve_first_and_unknowns_pass():
    body = """
        Parameters:
          Acl: {Type: String}
          Duration: {Type: Number, Default: 7200}
        Resources:
          Bucket:
            Type: ALIYUN::OSS::Bucket
            Properties:
              BucketName: {'Fn::Join': ['-', [demo, {Ref: 'ALIYUN::StackName'}]]}
              AccessControl: {Ref: Acl}
          Role:
            Type: ALIYUN::RAM::Role
            Properties:
              RoleName: {'Fn::GetAtt': [Bucket, Name]}
              MaxSessionDuration: {Ref: Duration}
              AssumeRolePolicyDocument: {Version: '1', Statement: []}
        """
    assert check(body) == []
    bad = check(body, {"Acl": "everyone", "Duration": "60"})
    assert {format_path(e.path) for e in bad} == {
        "Resources.Bucket.Properties.AccessControl",
        "Resources.Role.Properties.MaxSessionDuration",
    }


def test_getatt_names_are_checked_for_every_type_with_nested_stack_outputs_open():
    errors = check(
        """
        Resources:
          Vpc:
            Type: ALIYUN::ECS::VPC
            Properties: {CidrBlock: 10.0.0.0/8}
          Nested:
            Type: ALIYUN::ROS::Stack
            Properties: {TemplateURL: 'oss://b/t.yml'}
          Handle:
            Type: ALIYUN::ROS::WaitConditionHandle
          Wait:
            Type: ALIYUN::ROS::WaitCondition
            Properties: {Handle: {Ref: Handle}, Timeout: 60}
        Outputs:
          A: {Value: {'Fn::GetAtt': [Vpc, VpcIdd]}}
          B: {Value: {'Fn::GetAtt': [Nested, Outputs.Anything]}}
          C: {Value: {'Fn::GetAtt': [Nested, Bogus]}}
          D: {Value: {'Fn::GetAtt': [Wait, LastData]}}
          E: {Value: {'Fn::GetAtt': [Wait, LastErrorData]}}
          F: {Value: {'Fn::GetAtt': [Wait, JoinedLastErrorData]}}
        """
    )
    assert [(e.code, e.path[:2]) for e in errors] == [
        (INVALID_TEMPLATE_ATTRIBUTE, ("Outputs", "A")),
        (INVALID_TEMPLATE_ATTRIBUTE, ("Outputs", "C")),
    ]


def test_an_unknown_type_is_an_error_with_did_you_mean_once_per_count_resource():
    errors = check(
        """
        Resources:
          Server:
            Type: ALIYUN::ECS::Instanse
            Count: 3
            Properties: {Anything: 1}
          Mod:
            Type: MODULE::ACS::VPC::OptionalVpcAndVSwitch
            Properties: {Whatever: 1}
          Custom:
            Type: Custom::Thing
            Properties: {ServiceToken: 'acs:fc:cn-hangzhou:1:functions/f'}
        """
    )
    assert found(errors) == [
        (UNKNOWN_RESOURCE_TYPE, "error", "Resources.Server.Type"),
        (UNKNOWN_RESOURCE_TYPE, "info", "Resources.Mod.Type"),
    ]
    assert "did you mean ALIYUN::ECS::Instance?" in errors[0].message


def test_retired_types_properties_and_old_spellings_are_warnings():
    errors = check(
        """
        Resources:
          Lb:
            Type: ALIYUN::SLB::LoadBalancer
            Properties: {PayType: PayOnDemand, LoadBalancerName: lb}
          Db:
            Type: ALIYUN::RDS::DBInstance
            Properties:
              Engine: MySQL
              EngineVersion: '8.0'
              DBInstanceClass: rds.mysql.s1.small
              DBInstanceStorage: 20
              SecurityIPList: 0.0.0.0/0
              VPCId: vpc-1
          Old:
            Type: ALIYUN::ECS::PrepayInstance
            Properties:
              {ImageId: i, InstanceType: t, MaxAmount: 1, MinAmount: 1, PeriodType: Monthly, Period: 1}
        """
    )
    assert [(e.severity, format_path(e.path)) for e in errors] == [
        (Severity.WARNING, "Resources.Lb.Properties.PayType"),
        (Severity.WARNING, "Resources.Db.Properties.VPCId"),
        (Severity.WARNING, "Resources.Old.Type"),
    ]
    assert "did you mean 'VpcId'" in errors[1].message


def test_null_values_count_as_left_out():
    errors = check(
        """
        Resources:
          Group:
            Type: ALIYUN::ECS::SecurityGroup
            Properties: {SecurityGroupIngress: null, Description: null}
          Role:
            Type: ALIYUN::RAM::Role
            Properties: {RoleName: null, AssumeRolePolicyDocument: {Version: '1', Statement: []}}
        """
    )
    assert found(errors) == [(STACK_VALIDATION_FAILED, "error", "Resources.Role.Properties")]
    assert "'RoleName' is missing" in errors[0].message


def test_errors_in_one_place_do_not_hide_the_others_and_count_copies_report_once():
    errors = check(
        """
        Resources:
          Vpc:
            Type: ALIYUN::ECS::VPC
            Count: 4
            Properties: {CidrBlock: 10.0.0.0/8, Bogus: 1, VpcName: {'Fn::Nope': 1}}
          Bucket:
            Type: ALIYUN::OSS::Bucket
            Properties: {AccessControl: everyone}
        Outputs:
          Bad: {Value: {Ref: Missing}}
        """
    )
    paths = [format_path(e.path) for e in errors]
    assert paths.count("Resources.Vpc.Properties.Bogus") == 1
    assert any(p.startswith("Resources.Vpc.Properties.VpcName") for p in paths)
    assert "Resources.Bucket.Properties" in paths and "Resources.Bucket.Properties.AccessControl" in paths
    assert any(p.startswith("Outputs.Bad") for p in paths)
