"""What the engine's clients (``rosengine``) and the bundled backend (``fcbackend``) must agree on.

Why a package of its own: a request signed by a client must be canonicalised exactly as the
backend verifies it, the backend's info file (``backend.json``) must be written where clients read
it, and neither side may import the other. Apart from that file and the state directory
(:mod:`~backend_contract.local_environment`, :mod:`~backend_contract.backend_info`), everything
here is pure (no I/O).
"""
