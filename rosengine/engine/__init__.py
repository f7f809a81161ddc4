"""The stack engine: plan (diff), parallel executor, rollback and recovery over the state store."""

from rosengine.engine.errors import StackError
from rosengine.engine.service import StackEngine, StackOptions

__all__ = ["StackEngine", "StackError", "StackOptions"]
