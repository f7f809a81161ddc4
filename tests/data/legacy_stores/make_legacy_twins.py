"""ram.db and sls.db as the RAM/STS and SLS twins wrote them before the shared layer: run with the
store modules of commit b4a8952 (``git show b4a8952:fcbackend/ram/store.py > old_ram_store.py``,
likewise ``sls/store.py``): ``python make_legacy_twins.py OUT_DIR old_ram_store.py old_sls_store.py``."""

import importlib.util
import sys
from pathlib import Path


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


out = Path(sys.argv[1])
ram = load("old_ram_store", sys.argv[2])
sls = load("old_sls_store", sys.argv[3])

store = ram.SqliteRamStore(out / "ram.db")
store.insert("user", "alice", {"UserName": "Alice", "UserId": "200"})
store.insert("session", "STS.abc", {"AccessKeyId": "STS.abc"}, expires=1700000000.0)
store.put("policy", "custom/readonly", {"PolicyName": "ReadOnly"})
store.close()

logs = sls.SqliteSlsStore(out / "sls.db")
logs.insert_project("proj", {"projectName": "proj"})
logs.insert_logstore("proj", "store", {"logstoreName": "store", "ttl": 30})
logs.put_index("proj", "store", {"line": {"token": [","]}})
logs.append_logs("proj", "store", [sls.LogEntry(1700000000, (("level", "INFO"), ("msg", "hello")), topic="t")])
logs.close()
