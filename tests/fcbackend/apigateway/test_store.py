"""The API Gateway route store on the shared database layer: groups and APIs replaced in place,
deployments recorded once, deployed APIs in a stable order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fcbackend.apigateway.store import Api, ApiGatewayStore, Group
from fcbackend.store_factory import open_apigateway_store
from sqlstore import DatabaseSet


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ApiGatewayStore]:
    databases = DatabaseSet(tmp_path)
    yield open_apigateway_store(databases)
    databases.close()


def _api(api_id: str, path: str, function: str = "fn") -> Api:
    return Api(api_id, "grp", api_id, "GET", path, "svc", function, "LATEST")


def test_groups_are_found_by_domain_or_id_and_replaced_in_place(store: ApiGatewayStore) -> None:
    store.put_group(Group("grp", "shop", "shop.example.com"))
    store.put_group(Group("grp", "shop-2", "shop2.example.com"))
    assert store.group_by_domain("shop.example.com") is None
    assert store.group_by_domain("shop2.example.com") == Group("grp", "shop-2", "shop2.example.com")
    assert store.group_by_domain("grp") == Group("grp", "shop-2", "shop2.example.com")
    store.delete_group("grp")
    assert store.group_by_domain("grp") is None


def test_deployed_apis_follow_puts_deploys_and_undeploys(store: ApiGatewayStore) -> None:
    store.put_api(_api("api-b", "/b"))
    store.put_api(_api("api-a", "/a"))
    for api_id in ("api-b", "api-a", "api-b"):  # deploying again changes nothing
        store.deploy("grp", "RELEASE", api_id)
    assert [a.api_id for a in store.deployed_apis("grp", "RELEASE")] == ["api-a", "api-b"]
    assert store.deployed_apis("grp", "TEST") == []

    store.put_api(_api("api-b", "/b2", function="other"))  # an update keeps the deployment
    assert store.deployed_apis("grp", "RELEASE")[1] == _api("api-b", "/b2", function="other")

    store.undeploy("grp", "RELEASE", "api-a")
    store.delete_api("api-b")
    assert store.deployed_apis("grp", "RELEASE") == []


def test_routes_survive_a_restart(tmp_path: Path) -> None:
    first = DatabaseSet(tmp_path)
    store = open_apigateway_store(first)
    store.put_api(_api("api-a", "/a"))
    store.deploy("grp", "RELEASE", "api-a")
    first.close()
    again = DatabaseSet(tmp_path)
    assert open_apigateway_store(again).deployed_apis("grp", "RELEASE") == [_api("api-a", "/a")]
    again.close()
    assert (tmp_path / "apigateway.db").exists()
