"""An ALIYUN::OSS::Bucket + ALIYUN::OSS::Directory template deploys into the local object store,
oss2 sees what it made, and the stack deletes it."""

from __future__ import annotations

import json

import oss2

from tests.e2e.conftest import Ros


def test_bucket_and_directory_template_deploys_and_deletes(ros: Ros) -> None:
    ros.run(
        "stack", "create", "-t", "templates/oss-bucket.yml", "-n", "assets", "-p", "BucketName=e2e-assets"
    )
    outputs = ros.outputs("assets")
    assert outputs["DomainName"].startswith("e2e-assets.oss-") and outputs["DomainName"].endswith(
        ".aliyuncs.com"
    )
    assert (
        outputs["InternalDomainName"].endswith("-internal.aliyuncs.com") and outputs["Directory"] == "uploads"
    )
    assert outputs["Arn"].startswith("acs:oss:*:") and outputs["Arn"].endswith(":e2e-assets")
    info = json.loads((ros.home / "fc" / "backend.json").read_text())
    bucket = oss2.Bucket(
        oss2.Auth(info["accessKeyId"], info["accessKeySecret"]), info["endpoint"], "e2e-assets"
    )
    assert bucket.get_bucket_tagging().tag_set.tagging_rule == {"team": "web"}
    assert bucket.get_bucket_versioning().status == "Enabled"
    assert bucket.get_bucket_lifecycle().rules[0].id == "expire-tmp"
    assert bucket.object_exists("uploads/")
    bucket.put_object("uploads/a.txt", b"user data")  # DeletionForce: true removes it with the stack
    ros.run("stack", "delete", "-n", "assets")
    service = oss2.Service(oss2.Auth(info["accessKeyId"], info["accessKeySecret"]), info["endpoint"])
    assert "e2e-assets" not in [b.name for b in oss2.BucketIterator(service)]
