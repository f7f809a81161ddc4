"""templates/oss-function-role.yml through the real CLI: a function's unmodified code (oss2 from
FC's built-in libraries, its role's STS keys from ``context.credentials``, the region's internal
OSS endpoint) reaches the OSS twin through the ``*.aliyuncs.com`` gateway, and the role's policy
decides: the bucket it allows is written, the other one refuses. The stack deletes cleanly."""

from __future__ import annotations

import json

import oss2

from tests.e2e.conftest import Ros


def test_a_functions_unmodified_oss2_code_writes_its_bucket_through_the_gateway(ros: Ros) -> None:
    ros.run("stack", "create", "-t", "templates/oss-function-role.yml", "-n", "acceptance", timeout=300)
    outputs = ros.outputs("acceptance")
    uploads, archive = outputs["UploadsBucket"], outputs["ArchiveBucket"]
    with ros.fc_client() as fc:
        result = fc.invoke_function(outputs["ServiceName"], "upload", b"hello from the function")
    assert result.error_type is None, result.body
    assert json.loads(result.body) == {uploads: "written", archive: "AccessDenied"}
    info = json.loads((ros.home / "fc" / "backend.json").read_text())
    root = oss2.Auth(info["accessKeyId"], info["accessKeySecret"])
    written = oss2.Bucket(root, info["endpoint"], uploads).get_object("from-function.txt").read()
    assert written == b"hello from the function"
    assert not oss2.Bucket(root, info["endpoint"], archive).object_exists("from-function.txt")
    ros.run("stack", "delete", "-n", "acceptance", timeout=300)
    service = oss2.Service(root, info["endpoint"])
    assert not {uploads, archive} & {b.name for b in oss2.BucketIterator(service)}
