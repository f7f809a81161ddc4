"""``NasConfig: Auto`` / ``VpcConfig: Auto``: the network and file system a service needs,
generated next to it.

Funcraft's ``Auto`` created (through ROS) a VPC with one vSwitch and a security group, a NAS file
system with a mount target in that vSwitch, mounted each service's own directory of it at
``/mnt/auto`` as user/group 10003, and gave the service's role the ENI and NAS policies. The same
resources are generated here, one set per service (``<Service>Vpc``, ``<Service>VSwitch``,
``<Service>SecurityGroup``, ``<Service>FileSystem``, ``<Service>MountTarget``); the zone is the
region's first (Funcraft read it from a per-region table).
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.transform.context import Expansion, Generated

NAS_POLICY = "AliyunNASFullAccess"
AUTO_MOUNT_DIR = "/mnt/auto"
AUTO_USER = 10003


def is_auto(value: Any) -> bool:
    return value == "Auto" or (isinstance(value, dict) and value.get("Auto") is True)


def generate_vpc(ctx: Expansion, service: str, origin: Path, extra: dict[str, Any]) -> dict[str, Any]:
    """Add the VPC, vSwitch and security group; returns the service's VpcConfig."""
    vpc, vswitch, group = f"{service}Vpc", f"{service}VSwitch", f"{service}SecurityGroup"
    name = {"Fn::Sub": f"${{ALIYUN::StackName}}-{service}"}
    ctx.add(
        Generated(
            vpc, "ALIYUN::ECS::VPC", {"CidrBlock": "10.0.0.0/8", "VpcName": name}, origin, extra=dict(extra)
        )
    )
    zone = {"Fn::Select": ["0", {"Fn::GetAZs": {"Ref": "ALIYUN::Region"}}]}
    ctx.add(
        Generated(
            vswitch,
            "ALIYUN::ECS::VSwitch",
            {"VpcId": {"Ref": vpc}, "ZoneId": zone, "CidrBlock": "10.20.0.0/16", "VSwitchName": name},
            origin,
            extra=dict(extra),
        )
    )
    ctx.add(
        Generated(
            group,
            "ALIYUN::ECS::SecurityGroup",
            {"VpcId": {"Ref": vpc}, "SecurityGroupName": name},
            origin,
            extra=dict(extra),
        )
    )
    return {"VpcId": {"Ref": vpc}, "VSwitchIds": [{"Ref": vswitch}], "SecurityGroupId": {"Ref": group}}


def generate_nas(
    ctx: Expansion, service: str, vpc_config: dict[str, Any], origin: Path, extra: dict[str, Any]
) -> dict[str, Any]:
    """Add the file system and its mount target; returns the service's NasConfig."""
    file_system, mount_target = f"{service}FileSystem", f"{service}MountTarget"
    switches = vpc_config.get("VSwitchIds")
    vswitch = switches[0] if isinstance(switches, list) and switches else {"Fn::Select": ["0", switches]}
    ctx.add(
        Generated(
            file_system,
            "ALIYUN::NAS::FileSystem",
            {
                "ProtocolType": "NFS",
                "StorageType": "Performance",
                "Description": f"{service} (NasConfig: Auto)",
            },
            origin,
            extra=dict(extra),
        )
    )
    ctx.add(
        Generated(
            mount_target,
            "ALIYUN::NAS::MountTarget",
            {
                "FileSystemId": {"Ref": file_system},
                "NetworkType": "Vpc",
                "VpcId": vpc_config.get("VpcId"),
                "VSwitchId": vswitch,
                "AccessGroupName": "DEFAULT_VPC_GROUP_NAME",
            },
            origin,
            extra=dict(extra),
        )
    )
    server = {"Fn::Join": ["", [{"Ref": mount_target}, ":/", service]]}
    return {
        "UserId": AUTO_USER,
        "GroupId": AUTO_USER,
        "MountPoints": [{"ServerAddr": server, "MountDir": AUTO_MOUNT_DIR}],
    }
