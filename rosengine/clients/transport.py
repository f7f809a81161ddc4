"""The HTTP transport of every service client (FC 2.0/3.0, OSS, RAM/STS, SLS).

* TCP_NODELAY: httpx writes headers and body separately; without it Nagle's algorithm and the
  server's delayed ACK add ~40 ms to every small request.
* TLS only where it is used: httpx builds an SSL context (loading certifi's CA bundle, ~30 ms)
  for every transport it is not told otherwise about, and the local backend's endpoint is plain
  ``http://``; an ``https://`` endpoint is verified as before.
"""

from __future__ import annotations

import socket

import httpx

# httpx's own default pool size
_DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


def http_transport(endpoint: str, *, limits: httpx.Limits = _DEFAULT_LIMITS) -> httpx.HTTPTransport:
    """A transport for requests to ``endpoint`` (a base URL); ``limits`` sizes its pool."""
    return httpx.HTTPTransport(
        verify=endpoint.startswith("https://"),
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        limits=limits,
    )
