"""Find resource types: schemas through ``resource_types/index.json``, providers from the Python
modules of the family packages (any :class:`ResourceProvider` subclass with a ``type_name``).

Why an index: there are more than a thousand schemas (generated from the ROS CDK, see
:mod:`resource_types.cdkgen`), and ``ros validate`` of a template with three types must not read
them all. The index maps each type name to its file; a schema is read the first time it is asked
for. Likewise :data:`PROVIDER_MODULES` names the module of each provider, and :func:`get` imports
only the providers of the types a stack uses (importing every provider, and the service clients
they use, took longer than creating a small stack); :func:`schema` (the validator) imports none.
:func:`scan_providers` finds them by importing every module; a test checks the table against it.

Tests and plugins may :func:`register` extra types (a recording provider, a failing one).
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import threading
from pathlib import Path

from resource_types.base import ResourceProvider, ResourceType, ResourceTypeSchema

_ROOT = Path(__file__).resolve().parent
_INDEX = _ROOT / "index.json"
_NOT_FAMILIES = frozenset({"cdkgen"})  # the schema generator, not a family of types
_lock = threading.Lock()
_index: dict[str, str] | None = None
_schemas: dict[str, ResourceTypeSchema] = {}
_providers: dict[str, type[ResourceProvider] | None] = {}  # imported so far
_extra: dict[str, ResourceType] = {}

# type name -> the module that defines its provider (a ResourceProvider subclass with that type_name)
PROVIDER_MODULES: dict[str, str] = {
    "ALIYUN::ApiGateway::AccessControl": "resource_types.records.rules",
    "ALIYUN::ApiGateway::Api": "resource_types.records.rules",
    "ALIYUN::ApiGateway::App": "resource_types.records.rules",
    "ALIYUN::ApiGateway::Authorization": "resource_types.records.rules",
    "ALIYUN::ApiGateway::Backend": "resource_types.records.rules",
    "ALIYUN::ApiGateway::CustomDomain": "resource_types.records.rules",
    "ALIYUN::ApiGateway::Deployment": "resource_types.records.rules",
    "ALIYUN::ApiGateway::Group": "resource_types.records.rules",
    "ALIYUN::ApiGateway::LogConfig": "resource_types.records.rules",
    "ALIYUN::ApiGateway::Plugin": "resource_types.records.rules",
    "ALIYUN::ApiGateway::PluginAttachment": "resource_types.records.rules",
    "ALIYUN::ApiGateway::Signature": "resource_types.records.rules",
    "ALIYUN::ApiGateway::SignatureBinding": "resource_types.records.rules",
    "ALIYUN::ApiGateway::StageConfig": "resource_types.records.rules",
    "ALIYUN::ApiGateway::TrafficControl": "resource_types.records.rules",
    "ALIYUN::ApiGateway::TrafficControlBinding": "resource_types.records.rules",
    "ALIYUN::DNS::Domain": "resource_types.records.rules",
    "ALIYUN::DNS::DomainGroup": "resource_types.records.rules",
    "ALIYUN::DNS::DomainRecord": "resource_types.records.rules",
    "ALIYUN::ECS::SecurityGroup": "resource_types.records.rules",
    "ALIYUN::ECS::SecurityGroupEgress": "resource_types.records.rules",
    "ALIYUN::ECS::SecurityGroupEgresses": "resource_types.records.rules",
    "ALIYUN::ECS::SecurityGroupIngress": "resource_types.records.rules",
    "ALIYUN::ECS::SecurityGroupIngresses": "resource_types.records.rules",
    "ALIYUN::ECS::VPC": "resource_types.records.rules",
    "ALIYUN::ECS::VSwitch": "resource_types.records.rules",
    "ALIYUN::FC3::AsyncInvokeConfig": "resource_types.fc3.async_invoke_config",
    "ALIYUN::FC3::ConcurrencyConfig": "resource_types.fc3.concurrency_config",
    "ALIYUN::FC3::CustomDomain": "resource_types.fc3.custom_domain",
    "ALIYUN::FC3::Function": "resource_types.fc3.function",
    "ALIYUN::FC3::FunctionInvoker": "resource_types.fc3.function_invoker",
    "ALIYUN::FC3::FunctionVersion": "resource_types.fc3.function_version",
    "ALIYUN::FC3::LayerVersion": "resource_types.fc3.layer_version",
    "ALIYUN::FC3::ProvisionConfig": "resource_types.fc3.provision_config",
    "ALIYUN::FC3::Trigger": "resource_types.fc3.trigger",
    "ALIYUN::FC3::VpcBinding": "resource_types.fc3.vpc_binding",
    "ALIYUN::FC::Alias": "resource_types.fc.alias",
    "ALIYUN::FC::CustomDomain": "resource_types.fc.custom_domain",
    "ALIYUN::FC::Function": "resource_types.fc.function",
    "ALIYUN::FC::FunctionInvoker": "resource_types.fc.function_invoker",
    "ALIYUN::FC::Layer": "resource_types.fc.layer",
    "ALIYUN::FC::ProvisionConfig": "resource_types.fc.provision_config",
    "ALIYUN::FC::Service": "resource_types.fc.service",
    "ALIYUN::FC::Trigger": "resource_types.fc.trigger",
    "ALIYUN::FC::Version": "resource_types.fc.version",
    "ALIYUN::MNS::Queue": "resource_types.records.rules",
    "ALIYUN::MNS::Subscription": "resource_types.records.rules",
    "ALIYUN::MNS::Topic": "resource_types.records.rules",
    "ALIYUN::NAS::AccessGroup": "resource_types.records.rules",
    "ALIYUN::NAS::AccessRule": "resource_types.records.rules",
    "ALIYUN::NAS::FileSystem": "resource_types.nas.file_system",
    "ALIYUN::NAS::MountTarget": "resource_types.records.rules",
    "ALIYUN::OSS::Bucket": "resource_types.oss.bucket",
    "ALIYUN::OSS::Directory": "resource_types.oss.directory",
    "ALIYUN::RAM::AccessKey": "resource_types.ram.access_key",
    "ALIYUN::RAM::AttachPolicyToGroup": "resource_types.ram.attach_policy",
    "ALIYUN::RAM::AttachPolicyToRole": "resource_types.ram.attach_policy",
    "ALIYUN::RAM::AttachPolicyToUser": "resource_types.ram.attach_policy",
    "ALIYUN::RAM::Group": "resource_types.ram.group",
    "ALIYUN::RAM::LoginProfile": "resource_types.ram.login_profile",
    "ALIYUN::RAM::ManagedPolicy": "resource_types.ram.managed_policy",
    "ALIYUN::RAM::Role": "resource_types.ram.role",
    "ALIYUN::RAM::User": "resource_types.ram.user",
    "ALIYUN::RAM::UserToGroupAddition": "resource_types.ram.user_to_group_addition",
    "ALIYUN::ROS::AutoEnableService": "resource_types.ros.auto_enable_service",
    "ALIYUN::ROS::CustomResource": "resource_types.ros.custom_resource",
    "ALIYUN::ROS::Sleep": "resource_types.ros.sleep",
    "ALIYUN::ROS::Stack": "resource_types.ros.stack",
    "ALIYUN::ROS::WaitCondition": "resource_types.ros.wait_condition",
    "ALIYUN::ROS::WaitConditionHandle": "resource_types.ros.wait_condition_handle",
    "ALIYUN::ResourceManager::ResourceGroup": "resource_types.records.rules",
    "ALIYUN::SLS::Index": "resource_types.sls.index",
    "ALIYUN::SLS::Logstore": "resource_types.sls.project",
    "ALIYUN::SLS::LogtailConfig": "resource_types.sls.records",
    "ALIYUN::SLS::MachineGroup": "resource_types.sls.records",
    "ALIYUN::SLS::Project": "resource_types.sls.project",
    "ALIYUN::VPC::EIP": "resource_types.records.rules",
    "ALIYUN::VPC::EIPAssociation": "resource_types.records.rules",
    "ALIYUN::VPC::ForwardEntry": "resource_types.records.rules",
    "ALIYUN::VPC::NatGateway": "resource_types.records.rules",
    "ALIYUN::VPC::SnatEntry": "resource_types.records.rules",
    "DATASOURCE::RAM::Roles": "resource_types.ram.roles_datasource",
}


def _type_index() -> dict[str, str]:
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = dict(json.loads(_INDEX.read_text(encoding="utf-8"))["types"])
    return _index


def scan_providers() -> dict[str, str]:
    """type name -> module of every provider, found by importing every module of every family:
    what :data:`PROVIDER_MODULES` must say. Slow; for tests and tools, never on a command's path."""
    found: dict[str, str] = {}
    import resource_types as pkg

    for family in pkgutil.iter_modules(pkg.__path__):
        if not family.ispkg or family.name in _NOT_FAMILIES:
            continue
        fam_pkg = importlib.import_module(f"resource_types.{family.name}")
        for mod in pkgutil.iter_modules(fam_pkg.__path__):
            name = f"resource_types.{family.name}.{mod.name}"
            found.update(dict.fromkeys(_providers_in(importlib.import_module(name)), name))
    return found


def _providers_in(module: object) -> dict[str, type[ResourceProvider]]:
    """The providers ``module`` defines: each concrete ResourceProvider subclass with a
    ``type_name``, and a module that serves many types with one generic provider (records) names
    them in a ``PROVIDERS`` table of type name -> provider class."""
    found: dict[str, type[ResourceProvider]] = dict(getattr(module, "PROVIDERS", {}))
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if (
            issubclass(obj, ResourceProvider)
            and obj is not ResourceProvider
            and not inspect.isabstract(obj)
            and isinstance(getattr(obj, "type_name", None), str)
        ):
            found[obj.type_name] = obj
    return found


def _provider(type_name: str) -> type[ResourceProvider] | None:
    if type_name in _providers:
        return _providers[type_name]
    module_name = PROVIDER_MODULES.get(type_name)
    found = (
        None if module_name is None else _providers_in(importlib.import_module(module_name)).get(type_name)
    )
    with _lock:
        return _providers.setdefault(type_name, found)


def schema(type_name: str) -> ResourceTypeSchema | None:
    """The schema of ``type_name``, read on first use; None when the type is unknown."""
    if type_name in _extra:
        return _extra[type_name].schema
    found = _schemas.get(type_name)
    if found is not None:
        return found
    path = _type_index().get(type_name) if isinstance(type_name, str) else None
    if path is None:
        return None
    found = ResourceTypeSchema.from_file(_ROOT / path)
    with _lock:
        return _schemas.setdefault(type_name, found)


def get(type_name: str) -> ResourceType | None:
    """The schema and provider for a type, or None when we have no schema for it."""
    if type_name in _extra:
        return _extra[type_name]
    found = schema(type_name)
    if found is None:
        return None
    return ResourceType(found, _provider(type_name))


def type_names() -> list[str]:
    """Every known type name, sorted."""
    return sorted(set(_type_index()) | set(_extra))


def provider_types() -> frozenset[str]:
    """The types that can really be created here (they have a provider)."""
    provided = set(PROVIDER_MODULES)
    provided.update(name for name, extra in _extra.items() if extra.provider is not None)
    return frozenset(provided)


def register(resource_type: ResourceType) -> None:
    _extra[resource_type.schema.type_name] = resource_type


def unregister(type_name: str) -> None:
    _extra.pop(type_name, None)
