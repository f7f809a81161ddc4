"""The provider table the registry imports from agrees with the providers the modules define."""

from __future__ import annotations

from resource_types import registry


def test_provider_table_names_every_provider_module() -> None:
    assert registry.scan_providers() == registry.PROVIDER_MODULES


def test_get_imports_the_provider_of_the_table() -> None:
    for type_name in registry.PROVIDER_MODULES:
        found = registry.get(type_name)
        assert found is not None and found.provider is not None, type_name
        assert found.provider.type_name == type_name
    assert registry.provider_types() >= frozenset(registry.PROVIDER_MODULES)


def test_a_type_without_provider_has_none() -> None:
    found = registry.get("ALIYUN::ECS::Instance")
    assert found is not None and found.provider is None
    assert "ALIYUN::ECS::Instance" not in registry.provider_types()
