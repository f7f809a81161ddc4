"""A function in a sandbox (default driver and settings) cannot reach the host.

Reproducers of issue 17: a function ran as uid 0 with ``/proc/sys`` writable (it wrote
``vm.drop_caches`` on the host and opened ``kernel.core_pattern`` for writing), read the host's
``/etc/shadow`` and ``/var/lib``, and had unbounded writable space. Each probe below is made by
the function's own code, inside a real sandbox.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.instances import make_spec, request, run, scheduler, write_code

pytestmark = pytest.mark.bwrap

PROBE = r"""
import getpass, json, multiprocessing, os, socket, ssl

def attempt_write(path):
    try:
        with open(path, "w") as fh:
            fh.write("1")
        return "written"
    except OSError as exc:
        return exc.strerror

def attempt_read(path):
    try:
        with open(path, "rb") as fh:
            fh.read(64)
        return "read"
    except OSError as exc:
        return exc.strerror

def handler(event, context):
    lines = open("/proc/self/status").read().splitlines()
    status = dict(line.split(":\t", 1) for line in lines if ":\t" in line)
    kernel = ["/proc/sys/vm/drop_caches", "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/panic",
              "/proc/sysrq-trigger", "/proc/sys/net/ipv4/ip_forward",
              "/sys/kernel/mm/transparent_hugepage/enabled"]
    writable = ["/x", "/etc/x", "/usr/x", "/dev/x", "/run/x", "/code/x", "/opt/x", "/proc/x", "/run/fc/x",
                "/tmp/x", "/var/tmp/x", "/dev/shm/x", "/dev/null"]
    context_ok = ssl.create_default_context()
    return json.dumps({
        "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
        "caps": [status[k].strip() for k in ("CapEff", "CapPrm", "CapBnd", "CapAmb")],
        "no_new_privs": status.get("NoNewPrivs", "").strip(),
        "kernel": {p: attempt_write(p) for p in kernel if os.path.exists(p)},
        "writable": {p: attempt_write(p) for p in writable},
        "secrets": {p: attempt_read(p) for p in ["/etc/shadow", "/etc/gshadow", "/etc/ssl/private",
                                                   "/var/lib/docker", "/root/.ssh", "/home"]},
        "root": sorted(os.listdir("/")),
        "etc": sorted(os.listdir("/etc")),
        "passwd": open("/etc/passwd").read(),
        "user": getpass.getuser(),
        "home": os.path.expanduser("~"),
        "localhost": socket.getaddrinfo("localhost", 80)[0][4][0],
        "ca_certs": context_ok.cert_store_stats()["x509_ca"],
        "same_disk": os.stat("/tmp").st_dev == os.stat("/var/tmp/").st_dev,
        "semaphore": bool(multiprocessing.Lock()),  # POSIX semaphores live in /dev/shm
    })
"""


def probe(tmp_path, **spec_changes):
    code = write_code(tmp_path, {"index.py": PROBE})
    spec = make_spec(code, timeout_s=30, **spec_changes)

    async def scenario():
        async with scheduler(tmp_path / "state", "sandbox") as sched:
            return await sched.invoke(spec, request())

    result = run(scenario)
    assert result.ok, result.body
    return json.loads(result.body)


def test_a_function_cannot_write_host_kernel_settings(tmp_path):
    seen = probe(tmp_path)
    assert seen["kernel"], "the probe found no kernel interface to try"
    assert all(outcome != "written" for outcome in seen["kernel"].values()), seen["kernel"]
    assert seen["kernel"]["/proc/sys/vm/drop_caches"] in ("Read-only file system", "Permission denied")


def test_a_function_runs_unprivileged_without_capabilities(tmp_path):
    seen = probe(tmp_path)
    if os.geteuid() == 0:
        assert seen["uid"] == seen["euid"] == 65534 and seen["gid"] == 65534
    else:
        assert seen["uid"] == os.geteuid()
    assert all(int(mask, 16) == 0 for mask in seen["caps"]), seen["caps"]
    assert seen["no_new_privs"] == "1"


def test_no_host_secrets_are_visible(tmp_path):
    seen = probe(tmp_path)
    assert all(outcome != "read" for outcome in seen["secrets"].values()), seen["secrets"]
    assert "shadow" not in seen["etc"] and "docker" not in seen["etc"]
    # Only the way to the interpreter and the bootstraps, when they live outside /usr (~/.pyenv)
    from fcbackend.instances.launchers import _runtime_paths

    runtime_tops = {path.parts[1] for path in _runtime_paths()}
    assert not ({"home", "root", "srv", "mnt", "media", "boot"} & set(seen["root"])) - runtime_tops
    assert "var" in seen["root"]  # only for /var/tmp: there is no /var/lib
    host_users = {line.split(":")[0] for line in Path("/etc/passwd").read_text().splitlines()}
    host_users -= {"root", "nobody"}
    sandbox_users = {line.split(":")[0] for line in seen["passwd"].splitlines()}
    assert not host_users & sandbox_users, "the host's accounts leak into the sandbox"
    assert seen["localhost"] in ("127.0.0.1", "::1")
    assert seen["user"] and seen["home"] == "/tmp"


def test_runtimes_still_find_what_they_need_in_etc(tmp_path):
    seen = probe(tmp_path)
    if os.path.exists("/etc/ssl/certs/ca-certificates.crt"):
        assert seen["ca_certs"] > 0, "TLS clients need the CA certificates"
    for name in ("passwd", "group", "hosts", "resolv.conf", "nsswitch.conf"):
        assert name in seen["etc"]
    assert seen["semaphore"]


CUSTOM_ON_PORT_80 = """\
import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = f"uid {os.getuid()} on port {self.server.server_port}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("0.0.0.0", int(os.environ["FC_SERVER_PORT"])), Handler).serve_forever()
"""


def test_a_custom_runtime_may_listen_on_a_low_ca_port(tmp_path):
    """FC lets a custom runtime's server listen on any CAPort; an unprivileged sandbox user keeps
    just the capability for that, in the instance's own network namespace."""
    code = write_code(
        tmp_path, {"bootstrap": "#!/bin/sh\nexec python3 server.py\n", "server.py": CUSTOM_ON_PORT_80}
    )
    spec = make_spec(code, runtime="custom", handler="", ca_port=80, cpu=1.0, timeout_s=30)

    async def scenario():
        async with scheduler(tmp_path / "state", "sandbox") as sched:
            return await sched.invoke(spec, request(b"hi"))

    result = run(scenario)
    assert result.ok, result.body
    assert result.body.decode().endswith("on port 80")


def test_only_the_disk_and_shared_memory_are_writable(tmp_path):
    writable = probe(tmp_path)["writable"]
    allowed = {"/tmp/x", "/var/tmp/x", "/dev/shm/x", "/dev/null"}
    assert {p for p, outcome in writable.items() if outcome == "written"} == allowed, writable
    assert probe(tmp_path / "again")["same_disk"], "/var/tmp is /tmp's disk"
