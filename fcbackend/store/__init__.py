"""Persistent state of the FC backend: metadata (SQLite), code packages, invocation records."""

from fcbackend.store.code import CodeBlob, CodeError, CodeStore
from fcbackend.store.db import MetadataStore
from fcbackend.store.invocations import InvocationRecorder

__all__ = ["CodeBlob", "CodeError", "CodeStore", "InvocationRecorder", "MetadataStore"]
