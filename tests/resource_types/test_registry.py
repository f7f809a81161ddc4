"""The provider table the registry imports from agrees with the providers the modules define."""

from __future__ import annotations

from resource_types import registry


def test_provider_table_names_every_provider_module() -> None:
    scanned = registry.scan_providers()
    assert {type_name: cls.__module__ for type_name, cls in scanned.items()} == registry.PROVIDER_MODULES


def test_get_imports_the_provider_of_the_table() -> None:
    scanned = registry.scan_providers()
    for type_name, cls in scanned.items():
        found = registry.get(type_name)
        assert found is not None and found.provider is cls, type_name
    assert registry.provider_types() >= frozenset(scanned)


def test_a_type_without_provider_has_none() -> None:
    found = registry.get("ALIYUN::ECS::VPC")
    assert found is not None and found.provider is None
    assert "ALIYUN::ECS::VPC" not in registry.provider_types()
