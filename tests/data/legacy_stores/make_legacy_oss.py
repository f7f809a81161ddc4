import sys
from pathlib import Path
from fcbackend.oss.store import ObjectStore, ObjectAttributes
from fcbackend.oss.spool import spool_bytes
root = Path(sys.argv[1])
store = ObjectStore(root, region="cn-hangzhou")
store.create_bucket("legacy-bucket")
store.commit("legacy-bucket", "docs/readme.txt", spool_bytes(store.tmp_dir, b"hello"),
             ObjectAttributes("text/x-legacy", {"Cache-Control": "no-cache"}, {"owner": "me"}, "public-read"))
store.put("legacy-bucket", "dir/", b"", create_bucket=False)
store.put("legacy-bucket", "plain.bin", b"\x00\x01", create_bucket=False)
print(sorted(str(p.relative_to(root)) for p in root.rglob("*")))
