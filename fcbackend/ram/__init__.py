"""The local RAM and STS twin: the account, its users, keys, groups, roles and policies, STS
sessions, policy evaluation, and the RPC API the official SDKs call.

Layout: ``store`` (SQLite documents) < ``account`` (RAM's objects and rules) < ``access_control``
(whose key, what it may do) < ``sts`` (temporary credentials) < ``ram_api``/``sts_api`` (the RPC
actions) < ``rpc``/``endpoint`` (the wire) < ``wiring`` (built and mounted once per backend).
Policies: ``policy`` (grammar, compile, evaluate), ``conditions``, ``globs``, ``system_policies``.
Every other twin depends on :mod:`fcbackend.access` only, never on this package's insides.
"""
