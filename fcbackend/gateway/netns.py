"""Listening sockets inside another process's network namespace.

Why: a function without Internet access (a bubblewrap sandbox with ``--unshare-net``, a Docker
container with ``NetworkMode: none``) has only a loopback interface of its own, so it cannot reach
the gateway on the host. A socket belongs to the namespace it was *created* in, whichever thread
later uses it: a throwaway thread enters the function's namespace (``setns``), creates and binds
the gateway's listening sockets there, and ends; the backend's event loop then accepts on them as
on any socket. The function connects to ``127.0.0.1:<port>`` in its own namespace and reaches the
gateway; nothing else of the host becomes reachable.

Entering a namespace needs ``CAP_SYS_ADMIN`` (the backend runs as root); elsewhere
:func:`listening_sockets_in` raises :class:`PermissionError` and the caller goes without.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import threading
from pathlib import Path

CLONE_NEWNET = 0x40000000


def can_enter_namespaces() -> bool:
    """Whether this process may enter other network namespaces (it is root)."""
    return os.geteuid() == 0


def _setns(fd: int) -> None:
    native = getattr(os, "setns", None)  # Python 3.12+
    if native is not None:
        native(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"setns: {os.strerror(errno)}")


def _netns_id(pid: int | str) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


def namespace_pid(pid: int, depth: int = 4) -> int | None:
    """``pid`` or its first descendant (breadth first, ``depth`` levels) that lives in another
    network namespace than this process: bubblewrap's own process stays outside, its child is in."""
    try:
        ours = _netns_id("self")
    except OSError:
        return None
    level = [pid]
    for _ in range(depth):
        following: list[int] = []
        for candidate in level:
            with contextlib.suppress(OSError):
                if _netns_id(candidate) != ours:
                    return candidate
            with contextlib.suppress(OSError, ValueError):
                children = Path(f"/proc/{candidate}/task/{candidate}/children").read_text().split()
                following += [int(c) for c in children]
        level = following
        if not level:
            return None
    return None


def listening_sockets_in(pid: int, addresses: list[tuple[str, int]]) -> list[socket.socket | None]:
    """A listening TCP socket on each address inside the network namespace of ``pid`` (None for an
    address that cannot be bound there, e.g. a port the function already uses)."""
    fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    made: list[socket.socket | None] = []
    failed: list[BaseException] = []

    def inside() -> None:
        try:
            _setns(fd)
            for host, port in addresses:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    sock.bind((host, port))
                    sock.listen(128)
                    sock.setblocking(False)
                except OSError:
                    sock.close()
                    made.append(None)
                    continue
                made.append(sock)
        except BaseException as exc:
            failed.append(exc)

    try:
        thread = threading.Thread(target=inside, name="gateway-netns", daemon=True)
        thread.start()
        thread.join()
    finally:
        os.close(fd)
    if failed:
        for sock in made:
            if sock is not None:
                sock.close()
        raise failed[0]
    return made
