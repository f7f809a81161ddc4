"""A custom-container CA server for the Docker driver tests (baked into the test image).

POST /invoke with a JSON event:
  {"action": "echo"}                  -> the request's headers, body and selected environment
  {"action": "env", "keys": [...]}    -> those environment variables
  {"action": "alloc", "mb": N}        -> allocates N MB (to hit the memory limit)
  {"action": "exit", "code": N}       -> the process exits at once (a crash mid-request)
  {"action": "sick"}                  -> GET /health answers 500 from now on
  {"action": "fail"}                  -> 404 with x-fc-status: 404 (a function error)
GET /health -> 200 while healthy.
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"sick": False, "calls": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # a keep-alive server must, or small replies wait for delayed ACKs
    wbufsize = 1 << 16  # headers and body leave in one segment

    def log_message(self, fmt, *args):
        sys.stderr.write("ca-server: " + (fmt % args) + "\n")

    def _reply(self, status, payload, headers=None):
        body = json.dumps(payload).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/health"):
            self._reply(500 if STATE["sick"] else 200, {"sick": STATE["sick"]})
        else:
            self._reply(200, {"path": self.path})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        STATE["calls"] += 1
        if self.path == "/initialize":
            self._reply(200, {"initialized": True})
            return
        try:
            event = json.loads(body or b"{}")
        except ValueError:
            event = {"action": "echo"}
        action = event.get("action", "echo")
        print("handling", action, "request", self.headers.get("x-fc-request-id"), flush=True)
        if action == "env":
            self._reply(200, {k: os.environ.get(k) for k in event.get("keys", [])})
        elif action == "alloc":
            hog = bytearray(int(event["mb"]) * 1024 * 1024)
            for offset in range(0, len(hog), 4096):
                hog[offset] = 1
            self._reply(200, {"allocated": len(hog)})
        elif action == "exit":
            os._exit(int(event.get("code", 3)))
        elif action == "sick":
            STATE["sick"] = True
            self._reply(200, {"sick": True})
        elif action == "fail":
            self._reply(404, {"errorMessage": "boom"}, {"x-fc-status": "404"})
        else:
            self._reply(
                200,
                {
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode(errors="replace"),
                    "pid": os.getpid(),
                    "calls": STATE["calls"],
                },
            )


def main():
    port = int(os.environ.get("FC_SERVER_PORT", "9000"))
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
