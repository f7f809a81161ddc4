"""The Alibaba Cloud system policies (``PolicyType: System``) a local account knows.

Templates attach these by name (``AttachPolicyToRole`` with ``PolicyType: System``, a role's
``PolicyAttachments.System``, Funcraft's ``Policies``), so the local RAM must know what each one
allows. The documents below are the published ones where the RAM/FC documentation shows them
(AliyunFCFullAccess, AliyunFCReadOnlyAccess, AliyunFCInvocationAccess:
https://www.alibabacloud.com/help/en/functioncompute/fc-2-0/user-guide/policies;
AliyunSTSAssumeRoleAccess: https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-assumerole;
AliyunOSSFullAccess/ReadOnlyAccess: https://www.alibabacloud.com/help/en/oss/user-guide/ram-policy-overview).
The others follow the same pattern for their service code: ``<svc>:*`` for FullAccess and
``<svc>:Get*``/``<svc>:List*`` (plus the service's read verbs) for ReadOnlyAccess. INFERRED for
those: the cloud's current documents may list more read verbs.

A system policy that is not in this table cannot be attached: the error names the known ones,
rather than attaching something whose meaning we would have to guess.
"""

from __future__ import annotations

from typing import Any

from fcbackend.ram.policy import CompiledPolicy, PolicyKind, compile_policy


def _doc(actions: list[str] | str, resource: str = "*") -> dict[str, Any]:
    return {"Version": "1", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}


def _full(service: str) -> dict[str, Any]:
    return _doc(f"{service}:*")


def _read(service: str, *verbs: str) -> dict[str, Any]:
    return _doc([f"{service}:Get*", f"{service}:List*", *(f"{service}:{v}" for v in verbs)])


# name -> (description, document)
SYSTEM_POLICIES: dict[str, tuple[str, dict[str, Any]]] = {
    "AdministratorAccess": ("Provides full access to Alibaba Cloud services and resources.", _doc("*")),
    "ReadOnlyAccess": (
        "Provides read-only access to Alibaba Cloud services and resources.",
        _doc(["*:Describe*", "*:List*", "*:Get*", "*:BatchGet*", "*:Query*", "*:BatchQuery*"]),
    ),
    "AliyunSTSAssumeRoleAccess": (
        "Provides access to assume RAM roles with the Security Token Service (STS).",
        _doc("sts:AssumeRole"),
    ),
    "AliyunRAMFullAccess": ("Provides full access to Resource Access Management (RAM).", _full("ram")),
    "AliyunRAMReadOnlyAccess": ("Provides read-only access to RAM.", _read("ram")),
    "AliyunFCFullAccess": ("Provides full access to Function Compute.", _full("fc")),
    "AliyunFCReadOnlyAccess": ("Provides read-only access to Function Compute.", _read("fc")),
    "AliyunFCInvocationAccess": (
        "Provides access to invoke Function Compute functions.",
        _doc(["fc:InvokeFunction"]),
    ),
    "AliyunYundunCertReadOnlyAccess": (
        "Provides read-only access to SSL Certificates Service.",
        _read("yundun-cert", "Describe*"),
    ),
    "AliyunOSSFullAccess": ("Provides full access to Object Storage Service (OSS).", _full("oss")),
    "AliyunOSSReadOnlyAccess": ("Provides read-only access to OSS.", _read("oss")),
    "AliyunLogFullAccess": ("Provides full access to Simple Log Service (SLS).", _full("log")),
    "AliyunLogReadOnlyAccess": ("Provides read-only access to SLS.", _read("log")),
    "AliyunMNSFullAccess": ("Provides full access to Message Service (MNS).", _full("mns")),
    "AliyunMNSReadOnlyAccess": ("Provides read-only access to MNS.", _read("mns")),
    "AliyunROSFullAccess": ("Provides full access to Resource Orchestration Service (ROS).", _full("ros")),
    "AliyunROSReadOnlyAccess": ("Provides read-only access to ROS.", _read("ros", "Describe*")),
    "AliyunOOSFullAccess": ("Provides full access to CloudOps Orchestration Service (OOS).", _full("oos")),
    "AliyunECSFullAccess": ("Provides full access to Elastic Compute Service (ECS).", _full("ecs")),
    "AliyunECSReadOnlyAccess": ("Provides read-only access to ECS.", _read("ecs", "Describe*")),
    "AliyunVPCFullAccess": ("Provides full access to Virtual Private Cloud (VPC).", _full("vpc")),
    "AliyunVPCReadOnlyAccess": ("Provides read-only access to VPC.", _read("vpc", "Describe*")),
    "AliyunNASFullAccess": ("Provides full access to File Storage NAS.", _full("nas")),
    "AliyunOTSFullAccess": ("Provides full access to Tablestore.", _full("ots")),
    "AliyunKMSFullAccess": ("Provides full access to Key Management Service (KMS).", _full("kms")),
    "AliyunCDNFullAccess": ("Provides full access to CDN.", _full("cdn")),
    "AliyunApiGatewayFullAccess": ("Provides full access to API Gateway.", _full("apigateway")),
    "AliyunEventBridgeFullAccess": ("Provides full access to EventBridge.", _full("eventbridge")),
    "AliyunContainerRegistryFullAccess": ("Provides full access to Container Registry.", _full("cr")),
    "AliyunContainerRegistryReadOnlyAccess": (
        "Provides read-only access to Container Registry.",
        _read("cr"),
    ),
    "AliyunCloudMonitorFullAccess": ("Provides full access to CloudMonitor.", _full("cms")),
    "AliyunActionTrailFullAccess": ("Provides full access to ActionTrail.", _full("actiontrail")),
    # Service-role policies: attached to the roles a cloud service assumes (the public examples
    # create these roles themselves). INFERRED: the published documents grant more detailed
    # lists; these grant what each service does with the role in those examples.
    "AliyunFCDefaultRolePolicy": (
        "The default policy of Function Compute's service role (logs, code packages, NAS, VPC).",
        _doc(
            [
                "log:PostLogStoreLogs",
                "log:GetProject",
                "log:GetLogStore",
                "oss:GetObject",
                "oss:ListObjects",
                "nas:Describe*",
                "vpc:Describe*",
                "ecs:Describe*",
                "ecs:CreateNetworkInterface",
                "ecs:DeleteNetworkInterface",
            ]
        ),
    ),
    "AliyunFCServerlessDevsRolePolicy": (
        "The policy of the role Function Compute's application center deploys applications with.",
        _doc(
            [
                "fc:*",
                "ram:PassRole",
                "ram:GetRole",
                "oss:*",
                "log:*",
                "nas:*",
                "vpc:Describe*",
                "ecs:Describe*",
                "ros:*",
            ]
        ),
    ),
    "AliyunOSSEventNotificationRolePolicy": (
        "The policy of the role OSS sends event notifications to MNS with.",
        _doc(["mns:SendMessage", "mns:PublishMessage"]),
    ),
    "AliyunVODUploadAuth": (
        "Provides access to upload media to ApsaraVideo VOD.",
        _doc(
            [
                "vod:CreateUploadVideo",
                "vod:RefreshUploadVideo",
                "vod:CreateUploadImage",
                "vod:CreateUploadAttachedMedia",
            ]
        ),
    ),
    "AliyunVODRolePolicy": (
        "The policy of the role ApsaraVideo VOD reads and writes the user's storage with.",
        _doc(["oss:*", "mns:SendMessage", "mns:PublishMessage", "cdn:Describe*"]),
    ),
}

_COMPILED: dict[str, CompiledPolicy] = {}


def system_policy(name: str) -> CompiledPolicy | None:
    """The compiled system policy ``name`` (exact spelling, as RAM requires), or None."""
    compiled = _COMPILED.get(name)
    if compiled is None and name in SYSTEM_POLICIES:
        compiled = compile_policy(SYSTEM_POLICIES[name][1], PolicyKind.PERMISSION, name=name)
        _COMPILED[name] = compiled
    return compiled
