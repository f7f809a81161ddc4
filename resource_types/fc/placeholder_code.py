"""Stand-in code for a function whose code package is not on this machine (``--placeholders``).

Why: real templates point ``Code`` at an OSS bucket of their publisher
(``oss://computenest-artifacts-…/kodbox.zip``); locally that object does not exist, and without
it FC refuses the function, and with it everything that depends on the function (triggers,
versions, aliases). Asked for placeholders, the user gets the function with code that answers
every invocation with an error naming what is missing, and the resource is marked a placeholder
(its status reason and ``ros stack resources`` say so): the stack deploys, nothing pretends to run.

Stand-ins exist for the runtimes whose handler convention we can satisfy with a few lines: Python,
Node.js and custom runtimes (a ``bootstrap`` HTTP server on the function's CAPort, started by
Python, which every local sandbox has). Other runtimes (Java, Go, .NET, PHP) get the custom
runtime's stand-in, their runtime replaced by ``custom`` (the note says so); a custom container
gets none: its function stays refused, with the reason.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from resource_types.fc.fc_api import zip_files

_PYTHON = """def {function}(*args, **kwargs):
    raise RuntimeError({message!r})
"""
_NODE = """exports.{function} = function (...args) {{
  const done = args.find((a) => typeof a === "function");
  const error = new Error({message});
  if (done) {{ done(error); return; }}
  throw error;
}};
"""
_BOOTSTRAP = """#!/usr/bin/env python3
import http.server, json, os
MESSAGE = {message!r}
class Answer(http.server.BaseHTTPRequestHandler):
    def _fail(self):
        body = json.dumps({{"errorMessage": MESSAGE, "errorType": "PlaceholderCode"}}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _fail
    def log_message(self, *args):
        pass
port = int(os.environ.get("FC_SERVER_PORT") or os.environ.get("FC_CUSTOM_LISTEN_PORT") or {port})
http.server.ThreadingHTTPServer(("0.0.0.0", port), Answer).serve_forever()
"""


def missing_code_message(service: str, function: str, bucket: str, key: str) -> str:
    return (
        f"placeholder: the code of {service}/{function} (oss://{bucket}/{key}) is not in the local "
        "object store; upload it there (ros oss cp) and update the stack to run the function"
    )


def placeholder_code(runtime: str, handler: str, message: str, ca_port: int = 9000) -> dict[str, Any] | None:
    """FC API ``code`` (a zip) whose every invocation fails with ``message``; None for a runtime
    without a stand-in."""
    module, _, function = (handler or "index.handler").rpartition(".")
    module, function = module or "index", function or "handler"
    if runtime.startswith("python"):
        files = {f"{module}.py": _PYTHON.format(function=function, message=message)}
    elif runtime.startswith("nodejs"):
        files = {f"{module}.js": _NODE.format(function=function, message=json.dumps(message))}
    elif runtime.startswith("custom") and runtime != "custom-container":
        files = {"bootstrap": _BOOTSTRAP.format(message=message, port=ca_port)}
    else:
        return None
    data = zip_files({name: text.encode("utf-8") for name, text in files.items()})
    return {"zipFile": base64.b64encode(data).decode("ascii")}
