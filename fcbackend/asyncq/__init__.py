"""Durable async invocation: queue, retries, destinations and task mode (docs/reference/fc-api.md)."""

from fcbackend.asyncq.async_invoke_config import AsyncInvokeConfig, validate_async_config
from fcbackend.asyncq.dispatcher import AsyncDispatcher, TargetGone
from fcbackend.asyncq.intake import IntakeError, build_submission
from fcbackend.asyncq.records import AsyncEvent, AsyncSubmission, TaskStatus
from fcbackend.asyncq.sqlite_store import SqliteAsyncQueueStore
from fcbackend.asyncq.store import AsyncQueueStore

__all__ = [
    "AsyncDispatcher",
    "AsyncEvent",
    "AsyncInvokeConfig",
    "AsyncQueueStore",
    "AsyncSubmission",
    "IntakeError",
    "SqliteAsyncQueueStore",
    "TargetGone",
    "TaskStatus",
    "build_submission",
    "validate_async_config",
]
