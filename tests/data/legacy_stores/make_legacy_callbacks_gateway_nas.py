"""ros-callbacks.db, apigateway.db and nas.db as the ROS callbacks, API Gateway and NAS stores wrote
them before the shared layer: run with the modules of commit 6c1dc88 (``git show
6c1dc88:fcbackend/roscallbacks/store.py > old_callbacks_store.py``, likewise
``apigateway/store.py`` and ``nas/service.py``) from a checkout of that commit:
``python make_legacy_callbacks_gateway_nas.py OUT_DIR old_callbacks_store.py old_apigateway_store.py
old_nas_service.py``."""

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
callbacks = load("old_callbacks_store", sys.argv[2])
gateway = load("old_apigateway_store", sys.argv[3])
nas = load("old_nas_service", sys.argv[4])

store = callbacks.SqliteCallbackStore(out / "ros-callbacks.db")
store.secret()
store.put_handle(callbacks.Handle("sid-1", "Handle", "demo", "cn-hangzhou", "Full", 1, 1900000000))
store.set_waiting("sid-1", "Handle", +1, "")
store.put_signal("sid-1", "Handle", callbacks.Signal("u1", "SUCCESS", "done", {"k": "v"}, 1700000000.0))
store.add_request(callbacks.PendingRequest("req-1", "tok-1", "sid-1", "Custom", 1700000001.0))
store.add_refusal("req-1", "no Status")
store.set_response("req-1", {"Status": "SUCCESS", "Data": {"x": 1}})
store.close()

routes = gateway.SqliteApiGatewayStore(out / "apigateway.db")
routes.put_group(gateway.Group("grp-1", "shop", "grp-1.apigateway.local"))
routes.put_api(gateway.Api("api-1", "grp-1", "items", "GET", "/items/[id]", "svc", "fn", "LATEST"))
routes.deploy("grp-1", "RELEASE", "api-1")
routes.close()

service = nas.NasService(out / "nas-state")
created = service.create({"ProtocolType": "NFS", "StorageType": "Capacity"})
service.close()
(out / "nas-state" / "nas.db").rename(out / "nas.db")
print(created["FileSystemId"])
