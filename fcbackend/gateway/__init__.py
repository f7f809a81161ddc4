"""The ``*.aliyuncs.com`` gateway: one HTTP/HTTPS forward proxy in the backend's event loop that
sends each request for an Alibaba Cloud host to its local twin, so unmodified function code and
the official SDKs reach the twins without a code change.

:mod:`~fcbackend.gateway.gateway` composes it; :mod:`~fcbackend.gateway.server` serves the
connections (CONNECT, TLS termination, tunnels); :mod:`~fcbackend.gateway.routing` decides per
request (twin, "not emulated locally", Internet or refusal); :mod:`~fcbackend.gateway.hosts` names
the service of a host; :mod:`~fcbackend.gateway.ca` is the per-state-directory CA;
:mod:`~fcbackend.gateway.function_network` and :mod:`~fcbackend.gateway.netns` give functions on
every driver the way in. docs/gateway.md is the user's view.
"""
