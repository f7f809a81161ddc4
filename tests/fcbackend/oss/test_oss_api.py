"""The OSS twin driven by the official ``oss2`` SDK, as function code drives it: buckets, objects,
listings, multipart, V1/V4/STS signatures, virtual-host addressing, OSS's errors, bad input."""

from __future__ import annotations

import base64
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import oss2
import pytest
import requests
from starlette.applications import Starlette

from backend_contract import oss_signing
from fcbackend.access import AccessDenied, Caller, CredentialError
from fcbackend.app import create_app
from fcbackend.backend_config import BackendConfig
from fcbackend.oss.service import OssService
from fcbackend.oss.store import ObjectStore
from fcbackend.oss.wiring import mount_oss_api
from fcbackend.server import ThreadedServer
from tests.support.fc_api import FakeScheduler

ACCOUNT = "1234567890"
ROOT = ("LTAIrootlocal0001", "root-secret")
READER = ("LTAIreadonly00001", "reader-secret")
STS_KEY = ("STS.rolesession01", "sts-secret")
STS_TOKEN, EXPIRED_TOKEN = "token-good", "token-expired"


class Identities:
    """A test double of the RAM/STS twin: the root key, a read-only user and a role session that
    may write only ``role-*`` buckets."""

    def resolve(self, access_key_id: str, security_token: str | None) -> tuple[str, Caller]:
        if access_key_id == ROOT[0]:
            return ROOT[1], Caller(ROOT[0], ACCOUNT, f"acs:ram::{ACCOUNT}:root", True)
        if access_key_id == READER[0]:
            return READER[1], Caller(READER[0], ACCOUNT, f"acs:ram::{ACCOUNT}:user/reader", False)
        if access_key_id == STS_KEY[0]:
            if security_token == EXPIRED_TOKEN:
                raise CredentialError("ExpiredToken", "the session expired")
            if security_token != STS_TOKEN:
                raise CredentialError("InvalidToken", "the token does not belong to this key")
            return STS_KEY[1], Caller(
                STS_KEY[0], ACCOUNT, f"acs:ram::{ACCOUNT}:assumed-role/writer/s1", False
            )
        raise CredentialError("UnknownKey", f"{access_key_id} is unknown")

    def authorize(
        self, caller: Caller, action: str, resource: str, context: Mapping[str, str] | None = None
    ) -> None:
        if caller.is_root:
            return
        if caller.arn.endswith("user/reader") and action in ("oss:GetObject", "oss:ListObjects"):
            return
        if "assumed-role/writer" in caller.arn and f":{ACCOUNT}:role-" in resource:
            return
        raise AccessDenied(action, resource, "no statement allows it")


@dataclass
class Twin:
    endpoint: str
    store: ObjectStore

    def bucket(self, name: str, auth: Any = None, **kwargs: Any) -> oss2.Bucket:
        return oss2.Bucket(auth or oss2.Auth(*ROOT), self.endpoint, name, **kwargs)


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    """The FC app with the OSS API mounted by the backend's own wiring function, over the test
    double of the identity contract."""
    state_dir: Path = tmp_path_factory.mktemp("oss-twin")
    config = BackendConfig.for_state_dir(state_dir)
    app: Starlette = create_app(config, scheduler=FakeScheduler(), addons=False)
    store = ObjectStore(state_dir / "oss", region="cn-hangzhou")
    identities = Identities()
    mount_oss_api(
        app,
        OssService(store),
        credentials=identities,
        authorizer=identities,
        account_id=ACCOUNT,
        region="cn-hangzhou",
    )
    server = ThreadedServer(app).start()
    try:
        yield Twin(server.endpoint, store)
    finally:
        server.stop()


def _code(call: Any) -> tuple[int, str]:
    with pytest.raises(oss2.exceptions.OssError) as err:
        call()
    return err.value.status, err.value.code


def test_buckets_create_info_location_list_acl_tagging_delete(twin: Twin) -> None:
    bucket = twin.bucket("bkt-life")
    bucket.create_bucket(oss2.BUCKET_ACL_PUBLIC_READ)
    info = bucket.get_bucket_info()
    assert info.name == "bkt-life" and info.acl.grant == "public-read" and info.location == "oss-cn-hangzhou"
    assert info.intranet_endpoint == "oss-cn-hangzhou-internal.aliyuncs.com" and info.owner.id == ACCOUNT
    assert bucket.get_bucket_location().location == "oss-cn-hangzhou"
    names = [b.name for b in oss2.BucketIterator(oss2.Service(oss2.Auth(*ROOT), twin.endpoint))]
    assert "bkt-life" in names
    bucket.put_bucket_acl(oss2.BUCKET_ACL_PRIVATE)
    assert bucket.get_bucket_acl().acl == "private"
    rules = oss2.models.TaggingRule()
    rules.add("team", "data")
    bucket.put_bucket_tagging(oss2.models.Tagging(rules))
    assert bucket.get_bucket_tagging().tag_set.tagging_rule == {"team": "data"}
    bucket.delete_bucket_tagging()
    assert bucket.get_bucket_tagging().tag_set.tagging_rule == {}
    bucket.put_bucket_versioning(oss2.models.BucketVersioningConfig("Enabled"))
    assert bucket.get_bucket_versioning().status == "Enabled"
    assert _code(bucket.get_bucket_lifecycle) == (404, "NoSuchLifecycle")
    bucket.put_object("keep", b"x")
    assert _code(bucket.delete_bucket) == (409, "BucketNotEmpty")
    bucket.delete_object("keep")
    bucket.delete_bucket()
    assert _code(bucket.get_bucket_info) == (404, "NoSuchBucket")


def test_objects_put_get_range_head_meta_delete(twin: Twin) -> None:
    bucket = twin.bucket("bkt-objects")
    bucket.create_bucket()
    data = bytes(range(256)) * 40
    put = bucket.put_object("dir/data.bin", data, headers={"x-oss-meta-owner": "me", "Content-Type": "x/y"})
    assert put.crc is not None and put.etag
    got = bucket.get_object("dir/data.bin")
    assert got.read() == data and got.headers["x-oss-meta-owner"] == "me" and got.content_type == "x/y"
    assert bucket.get_object("dir/data.bin", byte_range=(10, 19)).read() == data[10:20]
    assert bucket.get_object("dir/data.bin", byte_range=(10, None)).read() == data[10:]
    assert bucket.get_object("dir/data.bin", byte_range=(None, 5)).read() == data[-5:]
    beyond = bucket.get_object("dir/data.bin", byte_range=(len(data) + 5, None))
    assert beyond.status == 200 and beyond.read() == data  # OSS ignores an unsatisfiable range
    head = bucket.head_object("dir/data.bin")
    assert head.content_length == len(data) and head.etag == put.etag and head.object_type == "Normal"
    assert bucket.get_object_meta("dir/data.bin").content_length == len(data)
    assert bucket.object_exists("dir/data.bin") and not bucket.object_exists("dir/none")
    target = Path(twin.store.root) / "bkt-objects" / "dir" / "data.bin"
    assert target.read_bytes() == data  # the same store FC code and `ros oss` use
    bucket.delete_object("dir/data.bin")
    bucket.delete_object("dir/data.bin")  # a missing key is no error, as on OSS
    assert _code(lambda: bucket.get_object("dir/data.bin")) == (404, "NoSuchKey")


def test_listing_v1_and_v2_paginate_with_prefix_delimiter_marker_token(twin: Twin) -> None:
    bucket = twin.bucket("bkt-list")
    bucket.create_bucket()
    keys = sorted(
        [f"logs/2024/{i:02d}.txt" for i in range(12)] + ["a b+c.txt", "top", "logs/x", "photos/p/1"]
    )
    for key in keys:
        bucket.put_object(key, b"k")
    bucket.put_object("empty-dir/", b"")
    everything = sorted([*keys, "empty-dir/"])
    assert [o.key for o in oss2.ObjectIterator(bucket, max_keys=5)] == everything
    assert [o.key for o in oss2.ObjectIteratorV2(bucket, max_keys=4)] == everything
    page = bucket.list_objects(max_keys=3)
    assert (
        page.is_truncated
        and bucket.list_objects(marker=page.next_marker, max_keys=100).object_list[0].key == everything[3]
    )
    top = bucket.list_objects_v2(delimiter="/")
    assert [o.key for o in top.object_list] == ["a b+c.txt", "top"]
    assert top.prefix_list == ["empty-dir/", "logs/", "photos/"]
    under = bucket.list_objects(prefix="logs/", delimiter="/")
    assert [o.key for o in under.object_list] == ["logs/x"] and under.prefix_list == ["logs/2024/"]
    v2 = bucket.list_objects_v2(prefix="logs/2024/", max_keys=5)
    rest = bucket.list_objects_v2(prefix="logs/2024/", continuation_token=v2.next_continuation_token)
    assert len(v2.object_list) + len(rest.object_list) == 12 and not rest.is_truncated
    after = bucket.list_objects_v2(start_after="photos/")
    assert [o.key for o in after.object_list] == ["photos/p/1", "top"]
    entry = bucket.list_objects(prefix="top").object_list[0]
    assert entry.type == "Normal" and entry.size == 1 and entry.storage_class == "Standard"


def test_copy_append_and_multi_delete(twin: Twin) -> None:
    bucket = twin.bucket("bkt-copy")
    bucket.create_bucket()
    bucket.put_object("src.txt", b"source", headers={"x-oss-meta-a": "1"})
    bucket.copy_object("bkt-copy", "src.txt", "dst.txt")
    assert bucket.get_object("dst.txt").read() == b"source"
    assert bucket.head_object("dst.txt").headers["x-oss-meta-a"] == "1"
    bucket.copy_object("bkt-copy", "src.txt", "new.txt", headers={"x-oss-metadata-directive": "REPLACE"})
    assert "x-oss-meta-a" not in bucket.head_object("new.txt").headers
    first = bucket.append_object("log", 0, b"one,")
    second = bucket.append_object("log", first.next_position, b"two", init_crc=first.crc)
    assert second.next_position == 7 and bucket.get_object("log").read() == b"one,two"
    with pytest.raises(oss2.exceptions.PositionNotEqualToLength) as wrong:
        bucket.append_object("log", 3, b"x")
    assert wrong.value.next_position == 7
    assert _code(lambda: bucket.append_object("src.txt", 6, b"x")) == (409, "ObjectNotAppendable")
    result = bucket.batch_delete_objects(["src.txt", "dst.txt", "new.txt", "log", "never-was"])
    assert sorted(result.deleted_keys) == ["dst.txt", "log", "never-was", "new.txt", "src.txt"]
    assert bucket.list_objects().object_list == []


def test_multipart_upload_parts_uploads_abort_and_resumable(twin: Twin, tmp_path: Path) -> None:
    bucket = twin.bucket("bkt-multi")
    bucket.create_bucket()
    part_size = 100 * 1024
    body = b"".join(bytes([i]) * part_size for i in range(3)) + b"tail"
    upload_id = bucket.init_multipart_upload("big.bin").upload_id
    parts = []
    for number, offset in enumerate(range(0, len(body), part_size), start=1):
        chunk = body[offset : offset + part_size]
        result = bucket.upload_part("big.bin", upload_id, number, chunk)
        parts.append(oss2.models.PartInfo(number, result.etag, size=len(chunk), part_crc=result.crc))
    listed = bucket.list_parts("big.bin", upload_id, max_parts=2)
    assert [p.part_number for p in listed.parts] == [1, 2] and listed.is_truncated
    assert [u.upload_id for u in bucket.list_multipart_uploads().upload_list] == [upload_id]
    done = bucket.complete_multipart_upload("big.bin", upload_id, parts)  # oss2 checks the combined CRC
    # oss2 keeps this response with its body unread (and its connection checked out) in a reference
    # cycle: closed here, or the garbage collector reports the socket during whichever test it runs in
    done.resp.response.close()
    assert done.etag.endswith("-4") and bucket.get_object("big.bin").read() == body
    assert bucket.head_object("big.bin").object_type == "Multipart"
    abandoned = bucket.init_multipart_upload("gone.bin").upload_id
    bucket.upload_part("gone.bin", abandoned, 1, b"x")
    bucket.abort_multipart_upload("gone.bin", abandoned)
    assert _code(lambda: bucket.list_parts("gone.bin", abandoned)) == (404, "NoSuchUpload")
    assert not bucket.object_exists("gone.bin")
    local = tmp_path / "file.bin"
    local.write_bytes(body * 2)
    oss2.resumable_upload(
        bucket, "resumed.bin", str(local), multipart_threshold=part_size, part_size=part_size
    )
    assert bucket.get_object("resumed.bin").read() == body * 2


def test_v4_sts_presigned_and_virtual_host_addressing(twin: Twin) -> None:
    twin.bucket("role-bkt").create_bucket()
    v4 = twin.bucket("role-bkt", oss2.AuthV4(*ROOT), region="cn-hangzhou")
    v4.put_object("v4/ü key+1.txt", b"signed v4")
    assert v4.get_object("v4/ü key+1.txt").read() == b"signed v4"
    assert [o.key for o in v4.list_objects_v2(prefix="v4/").object_list] == ["v4/ü key+1.txt"]
    sts_v1 = twin.bucket("role-bkt", oss2.StsAuth(*STS_KEY, STS_TOKEN))
    sts_v1.put_object("sts.txt", b"from a role")
    sts_v4 = twin.bucket(
        "role-bkt", oss2.StsAuth(*STS_KEY, STS_TOKEN, auth_version="v4"), region="cn-hangzhou"
    )
    assert sts_v4.get_object("sts.txt").read() == b"from a role"
    url = sts_v1.sign_url("GET", "sts.txt", 60)
    assert "security-token=" in url and requests.get(url, timeout=10).content == b"from a role"
    url_v4 = sts_v4.sign_url("GET", "sts.txt", 60)
    assert requests.get(url_v4, timeout=10).content == b"from a role"
    # virtual-host style through the endpoint as an HTTP proxy: what code hard-coding
    # oss-<region>-internal.aliyuncs.com sends through the *.aliyuncs.com gateway
    proxied = oss2.Bucket(
        oss2.Auth(*ROOT),
        "http://oss-cn-hangzhou-internal.aliyuncs.com",
        "role-bkt",
        proxies={"http": twin.endpoint},
    )
    assert proxied.get_object("sts.txt").read() == b"from a role"
    proxied.put_object("vhost.txt", b"virtual host")
    assert twin.bucket("role-bkt").get_object("vhost.txt").read() == b"virtual host"


def test_unknown_key_bad_signature_expired_or_wrong_token_and_denied_writes(twin: Twin) -> None:
    twin.bucket("creds-bkt").create_bucket()
    twin.bucket("creds-bkt").put_object("k", b"v")
    cases = {
        "unknown": twin.bucket("creds-bkt", oss2.Auth("LTAInobody", "x")),
        "bad-signature": twin.bucket("creds-bkt", oss2.Auth(ROOT[0], "not-the-secret")),
        "expired": twin.bucket("creds-bkt", oss2.StsAuth(*STS_KEY, EXPIRED_TOKEN)),
        "wrong-token": twin.bucket("creds-bkt", oss2.StsAuth(*STS_KEY, "forged")),
        "v4-bad-signature": twin.bucket("creds-bkt", oss2.AuthV4(ROOT[0], "nope"), region="cn-hangzhou"),
    }
    codes = {name: _code(lambda b=bucket: b.get_object("k")) for name, bucket in cases.items()}
    assert codes == {
        "unknown": (403, "InvalidAccessKeyId"),
        "bad-signature": (403, "SignatureDoesNotMatch"),
        "expired": (403, "SecurityTokenExpired"),
        "wrong-token": (403, "InvalidSecurityToken"),
        "v4-bad-signature": (403, "SignatureDoesNotMatch"),
    }
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch) as mismatch:
        cases["bad-signature"].get_object("k")
    assert mismatch.value.details["StringToSign"].endswith("/creds-bkt/k")
    reader = twin.bucket("creds-bkt", oss2.Auth(*READER))
    assert reader.get_object("k").read() == b"v"
    assert _code(lambda: reader.put_object("k", b"overwrite")) == (403, "AccessDenied")
    role = twin.bucket("creds-bkt", oss2.StsAuth(*STS_KEY, STS_TOKEN))
    assert _code(lambda: role.put_object("k", b"x")) == (403, "AccessDenied")  # only role-* buckets
    assert twin.bucket("creds-bkt").get_object("k").read() == b"v"
    # a HEAD error travels in x-oss-err, which oss2 decodes
    assert _code(lambda: cases["unknown"].head_object("k")) == (403, "InvalidAccessKeyId")
    # anonymous reads (an OSS host name: nothing else marks an unsigned request as OSS's) pass
    # only where the ACL is public
    anonymous = oss2.Bucket(
        oss2.AnonymousAuth(),
        "http://oss-cn-hangzhou.aliyuncs.com",
        "creds-bkt",
        proxies={"http": twin.endpoint},
    )
    assert _code(lambda: anonymous.get_object("k")) == (403, "AccessDenied")
    twin.bucket("creds-bkt").put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    assert anonymous.get_object("k").read() == b"v"
    assert _code(lambda: anonymous.put_object("k", b"x")) == (403, "AccessDenied")


def _signed_headers(
    key_id: str, secret: str, method: str, bucket: str, key: str, **extra: str
) -> dict[str, str]:
    headers = {"date": oss_signing.http_date(), **{k.lower(): v for k, v in extra.items()}}
    headers["authorization"] = oss_signing.v1_authorization(key_id, secret, method, bucket, key, headers)
    return headers


def _raw_request(endpoint: str, head: str, body: bytes) -> bytes:
    """Send bytes as they are (a lying Content-Length, a body cut short) and read the answer."""
    host, port = endpoint.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + body)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_bad_input_gets_oss_errors_and_stores_nothing(twin: Twin) -> None:
    bucket = twin.bucket("bad-bkt")
    bucket.create_bucket()
    assert _code(
        lambda: bucket.put_object(
            "md5.txt", b"data", headers={"Content-MD5": base64.b64encode(b"x" * 16).decode()}
        )
    ) == (400, "InvalidDigest")
    assert _code(lambda: bucket.put_object("md5.txt", b"data", headers={"Content-MD5": "not-base64"})) == (
        400,
        "InvalidDigest",
    )
    assert not bucket.object_exists("md5.txt")
    upload_id = bucket.init_multipart_upload("x.bin").upload_id
    headers = {"date": oss_signing.http_date(), "content-type": "application/xml"}
    headers["authorization"] = oss_signing.v1_authorization(
        *ROOT, "POST", "bad-bkt", "x.bin", headers, [("uploadId", upload_id)]
    )
    malformed = httpx.post(
        f"{twin.endpoint}/bad-bkt/x.bin",
        params={"uploadId": upload_id},
        content=b"<CompleteMultipartUpload><Part>",
        headers=headers,
    )
    error = ET.fromstring(malformed.content)
    assert malformed.status_code == 400 and error.findtext("Code") == "MalformedXML"
    assert error.findtext("RequestId") == malformed.headers["x-oss-request-id"] and error.findtext("HostId")
    assert not bucket.object_exists("x.bin")
    tagging = {"date": oss_signing.http_date(), "content-type": "application/xml"}
    tagging["authorization"] = oss_signing.v1_authorization(
        *ROOT, "PUT", "bad-bkt", "", tagging, [("tagging", "")]
    )
    wrong_root = httpx.put(f"{twin.endpoint}/bad-bkt/?tagging", content=b"<Nope/>", headers=tagging)
    assert wrong_root.status_code == 400 and b"MalformedXML" in wrong_root.content
    # oversized: refused from the Content-Length alone, before any byte is stored
    oversized = _signed_headers(
        *ROOT, "PUT", "bad-bkt", "huge.bin", **{"content-type": "application/octet-stream"}
    )
    head = "PUT /bad-bkt/huge.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5368709121\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in oversized.items()) + "Connection: close\r\n\r\n"
    answer = _raw_request(twin.endpoint, head, b"")
    assert b" 400 " in answer.split(b"\r\n")[0] and b"EntityTooLarge" in answer
    # interrupted: the client promises 100000 bytes, sends 1000 and goes away
    cut = _signed_headers(*ROOT, "PUT", "bad-bkt", "cut.bin", **{"content-type": "application/octet-stream"})
    head = "PUT /bad-bkt/cut.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in cut.items()) + "\r\n"
    _raw_request(twin.endpoint, head, b"z" * 1000)
    assert not bucket.object_exists("cut.bin") and not bucket.object_exists("huge.bin")
    assert not any((twin.store.root / ".tmp").iterdir())
    # unknown bucket and key, each with OSS's own code
    assert _code(lambda: twin.bucket("no-such-bkt").get_object("k")) == (404, "NoSuchBucket")
    assert _code(lambda: twin.bucket("no-such-bkt").put_object("k", b"v")) == (404, "NoSuchBucket")
    assert _code(lambda: bucket.get_object("missing")) == (404, "NoSuchKey")
    assert _code(lambda: bucket.head_object("missing")) == (404, "NoSuchKey")
    assert not (twin.store.root / "no-such-bkt").exists()
