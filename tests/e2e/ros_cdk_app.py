"""A small ROS CDK app (the official Python CDK, a real client of our validator): synthesizes one
stack of ECS, RAM, OSS and FC3 resources into the directory given as argv[1]. With ``--invalid``
it turns the CDK's own property checks off and writes values ROS would reject, so the test can see
``ros validate`` catch what the CDK let through."""

from __future__ import annotations

import sys

import ros_cdk_core as core
import ros_cdk_ecs as ecs
import ros_cdk_fc3 as fc3
import ros_cdk_oss as oss
import ros_cdk_ram as ram


def build(outdir: str, invalid: bool) -> None:
    app = core.App(outdir=outdir)
    stack = core.Stack(app, "DemoStack")
    name = core.RosParameter(stack, "Name", type=core.RosParameterType.STRING, default_value="demo")
    vpc = ecs.Vpc(stack, "Vpc", ecs.VPCProps(cidr_block="192.168.0.0/16", vpc_name=name.value_as_string))
    ecs.VSwitch(
        stack,
        "VSwitch",
        ecs.VSwitchProps(vpc_id=vpc.attr_vpc_id, zone_id="cn-hangzhou-h", cidr_block="192.168.1.0/24"),
    )
    ingress = ecs.RosSecurityGroup.SecurityGroupIngressProperty(
        ip_protocol="tcp", port_range="80/80", source_cidr_ip="0.0.0.0/0"
    )
    ecs.SecurityGroup(
        stack, "Sg", ecs.SecurityGroupProps(vpc_id=vpc.attr_vpc_id, security_group_ingress=[ingress])
    )
    statement = ram.RosRole.StatementProperty(
        action="sts:AssumeRole",
        effect="Allow",
        principal=ram.RosRole.PrincipalProperty(service=["fc.aliyuncs.com"]),
    )
    role = ram.Role(
        stack,
        "Role",
        ram.RoleProps(
            role_name="demo-role",
            max_session_duration=60 if invalid else 3600,
            assume_role_policy_document=ram.RosRole.AssumeRolePolicyDocumentProperty(
                version="1", statement=[statement]
            ),
        ),
        not invalid,
    )
    oss.Bucket(
        stack,
        "Bucket",
        oss.BucketProps(bucket_name="demo-bucket", access_control="everyone" if invalid else "private"),
        not invalid,
    )
    function = fc3.Function(
        stack,
        "Fn",
        fc3.FunctionProps(
            function_name="demo",
            handler="index.handler",
            runtime="python3.10",
            code=fc3.RosFunction.CodeProperty(zip_file="UEsDBAoAAAAAAA=="),
            role=role.attr_arn,
        ),
    )
    core.RosOutput(stack, "VpcId", value=vpc.attr_vpc_id)
    core.RosOutput(stack, "FunctionArn", value=function.attr_arn)
    app.synth()


if __name__ == "__main__":
    build(sys.argv[1], "--invalid" in sys.argv[2:])
