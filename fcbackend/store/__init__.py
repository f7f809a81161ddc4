"""Persistent state of the FC backend: metadata, code packages, invocation records.

Each store is an interface (:class:`MetadataStore`, :class:`InvocationLog`) with its SQLite
implementation next to it; ``fcbackend.store_factory`` opens the one the configured database needs.
"""

from fcbackend.store.code import CodeError, CodeStore
from fcbackend.store.invocation_log import InvocationLog, InvocationRecord
from fcbackend.store.invocations import InvocationRecorder
from fcbackend.store.metadata import CodeBlob, MetadataStore

__all__ = [
    "CodeBlob",
    "CodeError",
    "CodeStore",
    "InvocationLog",
    "InvocationRecord",
    "InvocationRecorder",
    "MetadataStore",
]
