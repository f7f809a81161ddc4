"""The local object store, its HTTP API, and OSS triggers fired by its events."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from fcbackend.clock import ManualClock
from fcbackend.oss import ObjectStore, OssError, OssService
from fcbackend.triggers.model import TriggerInfo
from fcbackend.triggers.oss_events import OssTriggerNotifier
from fcbackend.triggers.oss_match import event_matches
from tests.support.paths import REPO


def test_put_get_list_delete_keep_the_documented_layout(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "oss")
    info = store.put("code-bucket", "dir/fn.zip", b"zipbytes", "application/zip")
    assert (tmp_path / "oss" / "code-bucket" / "dir" / "fn.zip").read_bytes() == b"zipbytes"
    assert info.etag == hashlib.md5(b"zipbytes").hexdigest().upper()
    got, data = store.get("code-bucket", "dir/fn.zip")
    assert data == b"zipbytes" and got.content_type == "application/zip" and got.etag == info.etag
    store.put("code-bucket", "dir/b.txt", b"b")
    store.put("code-bucket", "top.txt", b"t")
    listing = store.list("code-bucket", delimiter="/")
    assert [o.key for o in listing.objects] == ["top.txt"] and listing.common_prefixes == ["dir/"]
    page = store.list("code-bucket", max_keys=2)
    assert [o.key for o in page.objects] == ["dir/b.txt", "dir/fn.zip"] and page.truncated
    rest = store.list("code-bucket", marker=page.next_marker or "")
    assert [o.key for o in rest.objects] == ["top.txt"]
    assert store.delete("code-bucket", "dir/fn.zip") is not None
    assert store.delete("code-bucket", "dir/fn.zip") is None
    with pytest.raises(OssError) as missing:
        store.get("code-bucket", "dir/fn.zip")
    assert missing.value.code == "NoSuchKey"


@pytest.mark.parametrize(
    ("bucket", "key", "code"),
    [
        ("Bad_Bucket", "k", "InvalidBucketName"),
        ("ok-bucket\n", "k", "InvalidBucketName"),  # `$` matched before a final newline
        ("ok-bucket", "../escape", "InvalidObjectName"),
        ("ok-bucket", "/abs", "InvalidObjectName"),
        ("ok-bucket", "a//b", "InvalidObjectName"),
    ],
)
def test_bad_names_are_refused_with_a_reason(tmp_path: Path, bucket: str, key: str, code: str) -> None:
    with pytest.raises(OssError) as err:
        ObjectStore(tmp_path).put(bucket, key, b"x")
    assert err.value.code == code and err.value.status == 400


def test_key_that_is_also_a_prefix_conflicts_clearly(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    store.put("bkt", "a", b"1")
    with pytest.raises(OssError, match="object 'a' exists"):
        store.put("bkt", "a/b", b"2")
    with pytest.raises(OssError) as not_empty:
        store.delete_bucket("bkt")
    assert not_empty.value.code == "BucketNotEmpty"


def test_an_object_beside_objects_under_its_name_conflicts_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    store = ObjectStore(tmp_path)
    store.put("bkt", "a/b", b"1")
    with pytest.raises(OssError, match="objects exist under 'a/'") as conflict:
        store.put("bkt", "a", b"2")
    assert conflict.value.code == "KeyConflict" and conflict.value.status == 409
    store.put("bkt", "b/c", b"3")
    with pytest.raises(OssError, match="object 'b/c' exists"):
        store.put("bkt", "b/c/d/e", b"4")
    assert not any(store.tmp_dir.iterdir())
    assert store.get("bkt", "a/b")[1] == b"1" and store.get("bkt", "b/c")[1] == b"3"


def test_a_file_replaced_by_another_tool_within_one_clock_tick_gets_its_own_etag(tmp_path: Path) -> None:
    """The metadata row describes one version of the file: same size and mtime (the file system's
    clock is coarse) are not enough when the file was replaced by another one."""
    store = ObjectStore(tmp_path)
    store.put("bkt", "k.txt", b"aaaa")
    path = store.object_path("bkt", "k.txt")
    before = path.stat()
    replacement = tmp_path / "replacement"
    replacement.write_bytes(b"bbbb")
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(replacement, path)
    info, data = store.get("bkt", "k.txt")
    assert data == b"bbbb" and info.etag == hashlib.md5(b"bbbb").hexdigest().upper()
    assert store.head("bkt", "k.txt").etag == info.etag


def test_bucket_records_changed_by_another_opener_are_never_answered_stale(tmp_path: Path) -> None:
    """Records are cached per process; a second store on the same directory (another backend,
    ``ros``) changes them, twice within one tick of the file system's clock, to the same size."""
    ours, theirs = ObjectStore(tmp_path), ObjectStore(tmp_path)
    ours.create_bucket("bkt")
    assert ours.bucket("bkt").acl == "private"
    theirs.update_bucket("bkt", acl="public-read")
    assert ours.bucket("bkt").acl == "public-read"
    for value in ("1", "2", "3"):
        theirs.update_bucket("bkt", tags={"k": value})
        assert ours.bucket("bkt").tags == {"k": value}
    theirs.delete_bucket("bkt")
    with pytest.raises(OssError) as gone:
        ours.bucket("bkt")
    assert gone.value.code == "NoSuchBucket"
    theirs.create_bucket("bkt", acl="public-read-write")
    assert ours.bucket("bkt").acl == "public-read-write"


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        ("oss:ObjectCreated:*", "ObjectCreated:PutObject", True),
        ("oss:ObjectCreated:PutObject", "ObjectCreated:PutObject", True),
        ("oss:ObjectCreated:PostObject", "ObjectCreated:PutObject", False),
        ("oss:ObjectRemoved:*", "ObjectCreated:PutObject", False),
    ],
)
def test_event_name_wildcards(pattern: str, event: str, expected: bool) -> None:
    assert event_matches(pattern, event) is expected


def test_store_writes_fire_matching_oss_trigger_with_fc_event(tmp_path: Path) -> None:
    fired: list[tuple[str, dict]] = []
    triggers = [
        TriggerInfo(
            "svc",
            "thumbs",
            "on-jpg",
            "oss",
            {
                "BucketName": "photos",
                "Events": ["oss:ObjectCreated:*"],
                "Filter": {"Key": {"Prefix": "in/", "Suffix": ".jpg"}},
            },
        ),
        TriggerInfo(
            "svc",
            "cleanup",
            "on-delete",
            "oss",
            {"events": ["oss:ObjectRemoved:DeleteObject"]},
            source_arn="acs:oss:cn-hangzhou:123:photos",
        ),
        TriggerInfo(
            "svc", "other", "other-bucket", "oss", {"bucketName": "docs", "events": ["oss:ObjectCreated:*"]}
        ),
    ]

    async def fire(trigger: TriggerInfo, body: bytes) -> None:
        fired.append((trigger.function, json.loads(body)))

    async def main() -> None:
        clock = ManualClock(1_704_067_200.0)
        service = OssService(ObjectStore(tmp_path / "oss", clock=clock))
        service.add_listener(
            OssTriggerNotifier(lambda: triggers, fire, region="cn-hangzhou", account_id="123", clock=clock)
        )
        info = await service.put("photos", "in/cat.jpg", b"meow", "image/jpeg")
        await service.put("photos", "in/readme.txt", b"no trigger")
        got, data = await service.get("photos", "in/cat.jpg")
        assert data == b"meow" and got.content_type == "image/jpeg"
        listing = await service.list("photos", prefix="in/")
        assert [o.key for o in listing.objects] == ["in/cat.jpg", "in/readme.txt"]
        assert await service.delete("photos", "in/cat.jpg") is not None

        assert [f[0] for f in fired] == ["thumbs", "cleanup"]
        event = fired[0][1]["events"][0]
        assert event["eventName"] == "ObjectCreated:PutObject"
        assert event["eventSource"] == "acs:oss"
        assert event["eventTime"] == "2024-01-01T00:00:00Z"
        assert event["region"] == "cn-hangzhou"
        assert event["oss"]["bucket"] == {
            "name": "photos",
            "arn": "acs:oss:cn-hangzhou:123:photos",
            "ownerIdentity": "123",
            "virtualBucket": "",
        }
        assert event["oss"]["object"]["key"] == "in/cat.jpg"
        assert event["oss"]["object"]["size"] == 4
        assert event["oss"]["object"]["eTag"] == info.etag
        assert fired[1][1]["events"][0]["eventName"] == "ObjectRemoved:DeleteObject"

    asyncio.run(main())


def test_an_object_store_of_the_sidecar_layout_keeps_every_objects_metadata(tmp_path: Path) -> None:
    """tests/data/legacy_stores/oss was written when each object's metadata was a sidecar file
    (``.meta/<bucket>/<key>.json``). Opening it moves the documents into ``.meta/objects.db`` and
    removes the sidecars; content type, headers, user metadata, ACL and checksums survive."""
    root = tmp_path / "oss"
    shutil.copytree(REPO / "tests" / "data" / "legacy_stores" / "oss", root)
    for sidecar in (root / ".meta").rglob("*.json"):  # git keeps no file times: put back the
        doc = json.loads(sidecar.read_text())  # ones the old store recorded for each object
        rel = sidecar.relative_to(root / ".meta").as_posix()[: -len(".json")]
        bucket, key = rel.split("/", 1)
        data = root / ".meta" / bucket / key / ".dirobject" if key.endswith("/") else root / bucket / key
        os.utime(data, ns=(doc["mtime_ns"], doc["mtime_ns"]))
    store = ObjectStore(root)
    info, data = store.get("legacy-bucket", "docs/readme.txt")
    assert data == b"hello" and info.content_type == "text/x-legacy" and info.acl == "public-read"
    assert info.user_meta == {"owner": "me"} and info.headers == {"Cache-Control": "no-cache"}
    assert info.etag == hashlib.md5(b"hello").hexdigest().upper() and info.crc64 is not None
    assert [o.key for o in store.list("legacy-bucket").objects] == ["dir/", "docs/readme.txt", "plain.bin"]
    assert not list((root / ".meta").rglob("*.json"))
    store.close()
    assert ObjectStore(root).head("legacy-bucket", "docs/readme.txt").user_meta == {"owner": "me"}


def test_deleting_objects_and_buckets_forgets_their_metadata(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "oss")
    store.put("meta-bucket", "k", b"v", "text/x-one")
    store.put("meta-bucket", "d/", b"")
    assert store.metadata.get("meta-bucket", "k") is not None
    store.delete("meta-bucket", "k")
    store.delete("meta-bucket", "d/")
    assert store.metadata.get("meta-bucket", "k") is None and store.metadata.get("meta-bucket", "d/") is None
    store.put("meta-bucket", "k", b"again")
    assert store.head("meta-bucket", "k").content_type == "application/octet-stream"
    store.delete("meta-bucket", "k")
    store.delete_bucket("meta-bucket")
    assert store.metadata.get("meta-bucket", "k") is None
    store.close()
