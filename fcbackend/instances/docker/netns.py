"""Reach a server inside a container that has no network of its own (``NetworkMode: none``).

Why: ``internetAccess: false`` puts a Docker instance in ``NetworkMode: none`` — a network
namespace with only loopback, so the function cannot open a connection anywhere, the host
included. The backend still has to talk to a web-server container's CA port. A TCP socket belongs
to the network namespace it was *created* in, whichever thread later connects it; so a throwaway
thread enters the container's namespace (``setns``), creates the socket and ends, and the event
loop connects that socket to ``127.0.0.1:CAPort`` as usual. Nothing is proxied: after the connect
the bytes flow exactly as for a container on the bridge.

The same way reaches a container on Docker's bridge from a process whose network namespace has
no route to the bridge (:func:`routable`): a cluster node's agent in a namespace of its own. The
server listens on all of the container's addresses, its loopback included.

Why not an *internal* Docker network: on dockerd 20.10 a container on an ``Internal: true``
network still gets a default route through the bridge's host address, and packets to the host's
own addresses are delivered locally (the INPUT chain, which Docker's isolation rules do not
touch), so every host service listening on ``0.0.0.0`` stays reachable; only forwarding beyond the
host is dropped. ``NetworkMode: none`` has no such hole and no network object to create or reap.

Entering a namespace needs ``CAP_SYS_ADMIN`` (the backend runs as root) and a dockerd on the same
kernel (its container pids visible in ``/proc``); where that is not so,
:func:`open_container_netns` raises :class:`PermissionError`/:class:`OSError` and the driver turns
it into a clear start error.
"""

from __future__ import annotations

import ctypes
import os
import socket
import threading

from fcbackend.instances.ca_client import CaClient

CLONE_NEWNET = 0x40000000
LOOPBACK = "127.0.0.1"


def open_container_netns(pid: int) -> int:
    """A file descriptor of the network namespace of process ``pid`` (a container's init). Holding
    it keeps the namespace usable even if the pid is reused; the caller closes it."""
    if pid <= 0:
        raise ProcessLookupError(f"the container has no running process (pid {pid})")
    return os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)


def _setns(netns_fd: int) -> None:
    native = getattr(os, "setns", None)  # Python 3.12+
    if native is not None:
        native(netns_fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(netns_fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"setns into the container's network namespace: {os.strerror(errno)}")


def tcp_socket_in(netns_fd: int) -> socket.socket:
    """A non-blocking TCP socket created inside the namespace ``netns_fd``. The namespace switch
    happens on a thread that exits right after, so no thread of the backend (the event loop, the
    default executor's pool) is ever left inside a container's namespace."""
    made: list[socket.socket] = []
    failed: list[BaseException] = []

    def create() -> None:
        try:
            _setns(netns_fd)
            made.append(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        except BaseException as exc:  # handed to the caller's thread
            failed.append(exc)

    worker = threading.Thread(target=create, name="rosengine-netns-socket", daemon=True)
    worker.start()
    worker.join()  # a thread start and two syscalls: well under a millisecond
    if failed:
        raise failed[0]
    sock = made[0]
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def routable(address: str) -> bool:
    """Whether this process's network namespace has a route to ``address`` (an unconnected UDP
    socket's connect asks the kernel for one and sends nothing). A cluster node's agent that runs in
    a network namespace of its own (a pod, the test cluster's loopback-only namespace) has none to
    Docker's bridge, which lives in the host's namespace."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((address, 9))
    except OSError:
        return False
    return True


def ca_client_in(netns_fd: int, port: int) -> CaClient:
    """A :class:`CaClient` whose connections go to ``127.0.0.1:port`` inside the network namespace
    ``netns_fd`` (owned by the instance, which closes it after its clients)."""
    return CaClient(
        host=LOOPBACK,
        port=port,
        make_socket=lambda: tcp_socket_in(netns_fd),
        where="in the container's own network namespace",
    )
