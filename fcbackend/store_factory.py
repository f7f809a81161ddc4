"""The backend's stores, each opened in the database the configuration names.

Why one module: which implementation serves a store follows from the kind of database it lives in,
and that decision belongs in one place. By default every group of stores has its own SQLite file
in the state directory — ``fc.db`` (FC metadata and the invocation log), ``async.db`` (the async
queue), ``timers.db``, ``ram.db`` (RAM/STS), ``sls.db`` (the SLS twin), ``ros-callbacks.db`` (ROS
callbacks), ``apigateway.db`` (API Gateway routes), ``nas.db`` (NAS file systems) — the layout
earlier releases wrote, so existing state directories open as they are (their tables are adopted by the
migrations ledger); OSS object metadata lives beside the objects. ``BackendConfig.database_url``
puts every group in that one database instead.
"""

from __future__ import annotations

from pathlib import Path

from fcbackend.apigateway.store import ApiGatewayStore, SqliteApiGatewayStore
from fcbackend.asyncq.sqlite_store import SqliteAsyncQueueStore
from fcbackend.asyncq.store import AsyncQueueStore
from fcbackend.backend_config import BackendConfig
from fcbackend.nas.store import NasStore, SqliteNasStore
from fcbackend.oss.object_metadata import ObjectMetadataStore, SqliteObjectMetadataStore
from fcbackend.ram.store import RamStore, SqliteRamStore
from fcbackend.roscallbacks.store import CallbackStore, SqliteCallbackStore
from fcbackend.sls.store import SlsStore, SqliteSlsStore
from fcbackend.store.invocation_log import InvocationLog
from fcbackend.store.metadata import MetadataStore
from fcbackend.store.sqlite_invocation_log import SqliteInvocationLog
from fcbackend.store.sqlite_metadata import SqliteMetadataStore
from fcbackend.triggers.timer_state import SqliteTimerStateStore, TimerStateStore
from sqlstore import Database, DatabaseSet, SqliteDatabase, UnsupportedDatabase

# Store groups: the SQLite file each lives in by default (<group>.db in the state directory).
FC, ASYNC, TIMERS, OSS, RAM, SLS = "fc", "async", "timers", "oss", "ram", "sls"
ROS_CALLBACKS, APIGATEWAY, NAS = "ros-callbacks", "apigateway", "nas"


def backend_databases(config: BackendConfig) -> DatabaseSet:
    return DatabaseSet(config.state_dir, config.database_url)


def open_metadata_store(databases: DatabaseSet) -> MetadataStore:
    return SqliteMetadataStore(_sqlite(databases.open(FC), "FC metadata"))


def open_invocation_log(databases: DatabaseSet) -> InvocationLog:
    return SqliteInvocationLog(_sqlite(databases.open(FC), "invocation log"))


def open_async_queue(databases: DatabaseSet) -> AsyncQueueStore:
    return SqliteAsyncQueueStore(_sqlite(databases.open(ASYNC), "async queue"))


def open_timer_state(databases: DatabaseSet) -> TimerStateStore:
    return SqliteTimerStateStore(_sqlite(databases.open(TIMERS), "timer state"))


def open_ram_store(databases: DatabaseSet) -> RamStore:
    return SqliteRamStore(_sqlite(databases.open(RAM), "RAM/STS"))


def open_sls_store(databases: DatabaseSet) -> SlsStore:
    return SqliteSlsStore(_sqlite(databases.open(SLS), "SLS"))


def open_callback_store(databases: DatabaseSet) -> CallbackStore:
    return SqliteCallbackStore(_sqlite(databases.open(ROS_CALLBACKS), "ROS callbacks"))


def open_apigateway_store(databases: DatabaseSet) -> ApiGatewayStore:
    return SqliteApiGatewayStore(_sqlite(databases.open(APIGATEWAY), "API Gateway"))


def open_nas_store(databases: DatabaseSet) -> NasStore:
    return SqliteNasStore(_sqlite(databases.open(NAS), "NAS"))


def open_object_metadata(databases: DatabaseSet, root: Path) -> ObjectMetadataStore:
    """OSS object metadata: by default beside the objects (``<root>/.meta/objects.db``), so that
    every opener of the object store finds it."""
    if databases.url is None:
        return SqliteObjectMetadataStore.beside(root)
    return SqliteObjectMetadataStore(_sqlite(databases.open(OSS), "OSS object metadata"), root)


def _sqlite(database: Database, store: str) -> SqliteDatabase:
    if isinstance(database, SqliteDatabase):
        return database
    raise UnsupportedDatabase(
        f"the {store} store has no implementation for {database.dialect.name} databases"
    )
