"""The stack engine: plan (diff), parallel executor, rollback and recovery over the state store."""

from rosengine.engine.errors import StackError
from rosengine.engine.stack_engine import StackEngine, StackOptions

__all__ = ["StackEngine", "StackError", "StackOptions"]
