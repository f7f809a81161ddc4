"""What the engine's clients (``rosengine``) and the bundled backend (``fcbackend``) must agree on.

Why a package of its own: a request signed by a client must be canonicalised exactly as the
backend verifies it, and neither side may import the other. Everything here is pure (no I/O).
"""
