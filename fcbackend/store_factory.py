"""The backend's stores, each opened in the database the configuration names.

Why one module: which implementation serves a store follows from the kind of database it lives in,
and that decision belongs in one place. By default every group of stores has its own SQLite file
in the state directory — ``fc.db`` (FC metadata and the invocation log), ``async.db`` (the async
queue), ``timers.db``, ``ram.db`` (RAM/STS), ``sls.db`` (the SLS twin), ``ros-callbacks.db`` (ROS
callbacks), ``apigateway.db`` (API Gateway routes), ``nas.db`` (NAS file systems), ``cas.db`` (CAS
certificates) — the layout
earlier releases wrote, so existing state directories open as they are (their tables are adopted by the
migrations ledger); OSS object metadata lives beside the objects. ``BackendConfig.database_url``
puts every group in that one database instead: an SQLite file, or a PostgreSQL database that
several backends share (one FC service: same keys, functions, queue). On PostgreSQL the async
queue is :class:`PostgresAsyncQueueStore` (claims beside other backends, orphans adopted); the
other stores run their portable SQL on it. OSS object metadata stays beside the objects' bytes
(files of this host) unless the URL is SQLite.
"""

from __future__ import annotations

from pathlib import Path

from fcbackend.apigateway.store import ApiGatewayStore, SqliteApiGatewayStore
from fcbackend.asyncq.sqlite_store import SqliteAsyncQueueStore
from fcbackend.asyncq.store import AsyncQueueStore
from fcbackend.backend_config import BackendConfig
from fcbackend.cas.store import CasStore, SqliteCasStore
from fcbackend.nas.store import NasStore, SqliteNasStore
from fcbackend.oss.object_metadata import ObjectMetadataStore, SqliteObjectMetadataStore
from fcbackend.ram.store import RamStore, SqliteRamStore
from fcbackend.roscallbacks.store import CallbackStore, SqliteCallbackStore
from fcbackend.sls.store import SlsStore, SqliteSlsStore
from fcbackend.store.code_contents import CodeContents, SqlCodeContents
from fcbackend.store.invocation_log import InvocationLog
from fcbackend.store.metadata import MetadataStore
from fcbackend.store.sqlite_invocation_log import SqliteInvocationLog
from fcbackend.store.sqlite_metadata import SqliteMetadataStore
from fcbackend.triggers.timer_state import SqliteTimerStateStore, TimerStateStore
from sqlstore import DatabaseSet

# Store groups: the SQLite file each lives in by default (<group>.db in the state directory).
FC, ASYNC, TIMERS, OSS, RAM, SLS = "fc", "async", "timers", "oss", "ram", "sls"
ROS_CALLBACKS, APIGATEWAY, NAS, CAS = "ros-callbacks", "apigateway", "nas", "cas"


def backend_databases(config: BackendConfig) -> DatabaseSet:
    return DatabaseSet(config.state_dir, config.database_url)


def open_metadata_store(databases: DatabaseSet) -> MetadataStore:
    return SqliteMetadataStore(databases.open(FC))


def open_invocation_log(databases: DatabaseSet) -> InvocationLog:
    return SqliteInvocationLog(databases.open(FC))


def open_code_contents(databases: DatabaseSet) -> CodeContents | None:
    """Package bytes in the database where several backends share it (PostgreSQL); None where the
    state directory's ``code/`` files are the only copy (SQLite: one backend per directory)."""
    database = databases.open(FC)
    if database.dialect.name == "sqlite":
        database.close()
        return None
    return SqlCodeContents(database)


def shared_root_credentials(
    meta: MetadataStore, access_key_id: str, access_key_secret: str
) -> tuple[str, str]:
    """The root key pair of every backend on a shared database: the first backend's pair, stored
    in the FC metadata; later ones adopt it (their own state directory's pair is not used), so
    any client may call any of them with the same keys."""
    meta.insert(
        "settings",
        "",
        "root-credentials",
        {"accessKeyId": access_key_id, "accessKeySecret": access_key_secret},
    )
    stored = meta.get("settings", "", "root-credentials")
    assert stored is not None
    return str(stored["accessKeyId"]), str(stored["accessKeySecret"])


def open_async_queue(databases: DatabaseSet) -> AsyncQueueStore:
    database = databases.open(ASYNC)
    if database.dialect.name == "postgresql":
        # Imported here: it is only for PostgreSQL, whose driver is an optional extra.
        from fcbackend.asyncq.postgres_store import PostgresAsyncQueueStore

        return PostgresAsyncQueueStore(database)
    return SqliteAsyncQueueStore(database)


def open_timer_state(databases: DatabaseSet) -> TimerStateStore:
    return SqliteTimerStateStore(databases.open(TIMERS))


def open_ram_store(databases: DatabaseSet) -> RamStore:
    return SqliteRamStore(databases.open(RAM))


def open_sls_store(databases: DatabaseSet) -> SlsStore:
    return SqliteSlsStore(databases.open(SLS))


def open_callback_store(databases: DatabaseSet) -> CallbackStore:
    return SqliteCallbackStore(databases.open(ROS_CALLBACKS))


def open_apigateway_store(databases: DatabaseSet) -> ApiGatewayStore:
    return SqliteApiGatewayStore(databases.open(APIGATEWAY))


def open_nas_store(databases: DatabaseSet) -> NasStore:
    return SqliteNasStore(databases.open(NAS))


def open_cas_store(databases: DatabaseSet) -> CasStore:
    return SqliteCasStore(databases.open(CAS))


def open_object_metadata(databases: DatabaseSet, root: Path) -> ObjectMetadataStore:
    """OSS object metadata: by default beside the objects (``<root>/.meta/objects.db``), so that
    every opener of the object store finds it."""
    if databases.url is None or databases.url.scheme != "sqlite":
        return SqliteObjectMetadataStore.beside(root)
    return SqliteObjectMetadataStore(databases.open(OSS), root)
