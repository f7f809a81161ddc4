"""ALIYUN::OSS::Bucket and ALIYUN::OSS::Directory providers against the backend's OSS API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import oss2
import pytest

from fcbackend.app import create_app
from fcbackend.backend_config import BackendConfig
from fcbackend.server import ThreadedServer
from resource_types.base import ProviderContext, ProviderError
from resource_types.oss.bucket import BucketProvider
from resource_types.oss.directory import DirectoryProvider
from rosengine.clients.oss import OssClient
from tests.support.fc_api import FakeScheduler


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OssClient, BackendConfig, str]]:
    state_dir: Path = tmp_path_factory.mktemp("oss-providers")
    config = BackendConfig.for_state_dir(state_dir)
    server = ThreadedServer(create_app(config, scheduler=FakeScheduler())).start()
    client = OssClient(server.endpoint, config.access_key_id, config.access_key_secret)
    try:
        yield client, config, server.endpoint
    finally:
        client.close()
        server.stop()


def _ctx(client: OssClient, resource_type: str) -> ProviderContext:
    return ProviderContext("s", "sid", "cn-shanghai", "1234", "Res", resource_type, clients=lambda _: client)


def test_bucket_create_update_delete_and_attributes(live: tuple[OssClient, BackendConfig, str]) -> None:
    client, config, endpoint = live
    ctx = _ctx(client, "ALIYUN::OSS::Bucket")
    provider = BucketProvider()
    cors = {"CORSRule": [{"AllowedOrigin": ["*"], "AllowedMethod": ["GET"]}]}
    props = {
        "BucketName": "prov-bkt",
        "AccessControl": "public-read",
        "Tags": {"env": "dev"},
        "CORSConfiguration": cors,
    }
    result = provider.create(ctx, props)
    assert result.physical_id == "prov-bkt"
    assert result.attributes == {
        "Name": "prov-bkt",
        "Arn": "acs:oss:*:1234:prov-bkt",
        "DomainName": "prov-bkt.oss-cn-shanghai.aliyuncs.com",
        "InternalDomainName": "prov-bkt.oss-cn-shanghai-internal.aliyuncs.com",
    }
    sdk = oss2.Bucket(oss2.Auth(config.access_key_id, config.access_key_secret), endpoint, "prov-bkt")
    assert sdk.get_bucket_acl().acl == "public-read"
    assert sdk.get_bucket_cors().rules[0].allowed_origins == ["*"]
    with pytest.raises(ProviderError, match="BucketAlreadyExists"):
        provider.create(ctx, props)
    updated = {"BucketName": "prov-bkt", "AccessControl": "private", "Tags": {"env": "prod"}}
    provider.update(ctx, "prov-bkt", updated, props, result.attributes)
    assert sdk.get_bucket_acl().acl == "private"
    assert sdk.get_bucket_tagging().tag_set.tagging_rule == {"env": "prod"}
    with pytest.raises(oss2.exceptions.NoSuchCors):
        sdk.get_bucket_cors()  # removed from the template: removed from the bucket
    public = {**updated, "AccessControl": "public-read"}
    provider.update(ctx, "prov-bkt", public, updated, result.attributes)
    provider.update(
        ctx, "prov-bkt", {"BucketName": "prov-bkt", "Tags": {"env": "prod"}}, public, result.attributes
    )
    assert sdk.get_bucket_acl().acl == "private"  # AccessControl's default
    sdk.put_object("left.txt", b"data")
    with pytest.raises(ProviderError, match="BucketNotEmpty"):
        provider.delete(ctx, "prov-bkt", updated)
    provider.delete(ctx, "prov-bkt", {**updated, "DeletionForce": True})
    assert provider.read(ctx, "prov-bkt", updated) is None
    provider.delete(ctx, "prov-bkt", updated)  # already gone: no error


def test_directory_refuses_to_drop_data_unless_forced(live: tuple[OssClient, BackendConfig, str]) -> None:
    client, config, endpoint = live
    client.create_bucket("dir-bkt")
    ctx = _ctx(client, "ALIYUN::OSS::Directory")
    provider = DirectoryProvider()
    result = provider.create(ctx, {"BucketName": "dir-bkt", "DirectoryName": "docs/"})
    assert result.physical_id == "dir-bkt|docs/" and result.attributes["DirectoryName"] == "docs/"
    assert client.head_object("dir-bkt", "docs/") is not None
    client.put_object("dir-bkt", "docs/readme.txt", b"hi")
    with pytest.raises(ProviderError, match="still holds 1 object"):
        provider.delete(ctx, result.physical_id, {"BucketName": "dir-bkt", "DirectoryName": "docs/"})
    provider.delete(ctx, result.physical_id, {"DeletionForce": True})
    assert client.list_objects("dir-bkt") == ([], [])
    assert provider.read(ctx, result.physical_id, {}) is None
    with pytest.raises(ProviderError, match="NoSuchBucket"):
        provider.create(ctx, {"BucketName": "no-bkt", "DirectoryName": "x"})
