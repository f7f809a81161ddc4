"""The HTTP transport of every service client (FC 2.0/3.0, OSS, RAM/STS, SLS).

* TCP_NODELAY: httpx writes headers and body separately; without it Nagle's algorithm and the
  server's delayed ACK add ~40 ms to every small request.
* TLS only where it is used, and set up once: httpx builds an SSL context (loading a CA bundle,
  20-60 ms) for every transport it is not handed one, and an engine operation makes a client per
  service it uses. The local backend's endpoint is plain ``http://`` and needs none; ``https://``
  endpoints share one verifying context per process.
"""

from __future__ import annotations

import functools
import socket
import ssl

import httpx

# httpx's own default pool size
_DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


@functools.lru_cache(maxsize=1)
def shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every client of the process."""
    return ssl.create_default_context()


def http_transport(endpoint: str, *, limits: httpx.Limits = _DEFAULT_LIMITS) -> httpx.HTTPTransport:
    """A transport for requests to ``endpoint`` (a base URL); ``limits`` sizes its pool."""
    return httpx.HTTPTransport(
        verify=shared_ssl_context() if endpoint.startswith("https://") else False,
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        limits=limits,
    )
