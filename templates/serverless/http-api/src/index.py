"""An HTTP API: GET answers a greeting and the files this package holds; POST echoes JSON."""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def _files():
    found = []
    for root, _dirs, names in os.walk(HERE):
        for name in names:
            if not name.endswith(".pyc"):
                found.append(os.path.relpath(os.path.join(root, name), HERE).replace(os.sep, "/"))
    return sorted(found)


def handler(environ, start_response):
    method = environ["REQUEST_METHOD"]
    if method == "POST":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(size) or b"{}")
        answer = {"echo": body}
    else:
        answer = {"greeting": os.environ.get("GREETING", "hi"), "files": _files()}
    answer["path"] = environ.get("PATH_INFO", "/")
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(answer).encode()]
