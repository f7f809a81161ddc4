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

import logging
import os
import uuid
from pathlib import Path

from backend_contract import local_environment
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
from fcbackend.store.instance_registry import InstanceRegistry
from fcbackend.store.invocation_log import InvocationLog
from fcbackend.store.metadata import MetadataStore
from fcbackend.store.sqlite_invocation_log import SqliteInvocationLog
from fcbackend.store.sqlite_metadata import SqliteMetadataStore
from fcbackend.triggers.timer_state import SqliteTimerStateStore, TimerStateStore
from sqlstore import DatabaseSet

log = logging.getLogger(__name__)

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


def open_instance_registry(databases: DatabaseSet) -> InstanceRegistry | None:
    """Where backends on a shared (server) database publish their instances; None on SQLite (one
    backend per state directory: its scheduler knows every instance)."""
    database = databases.open(FC)
    if database.dialect.name == "sqlite":
        database.close()
        return None
    return InstanceRegistry(database)


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


SHARED_MARKER = ".rosengine-service"
_SHARED_SETTING = "shared-content"


class SharedDirError(ValueError):
    """The shared directory named at start is missing, or is not the one the other backends of
    this database use (refused at start: objects written to it would be invisible to them)."""


def check_shared_dir(meta: MetadataStore, shared_dir: Path | None, *, shared_database: bool) -> None:
    """Make sure every backend of one database keeps its shared content in the same directory.

    Why a marker: the directory is mounted on every host, possibly at different paths, so paths
    cannot be compared. The first backend that names one writes a random service id into
    ``<shared dir>/.rosengine-service`` and into the database's settings; a later backend is
    refused when its directory holds another id (or none), and when it names no directory while
    the database's backends have one. A backend on a shared database without any shared
    directory is warned that OSS objects, NAS file systems and function logs stay on its host."""
    recorded = meta.get("settings", "", _SHARED_SETTING)
    recorded_id = str(recorded["serviceId"]) if recorded else None
    if shared_dir is None:
        if recorded_id is not None:
            raise SharedDirError(
                "the backends on this database keep OSS objects, NAS file systems and function logs "
                f"in a shared directory (its {SHARED_MARKER} holds {recorded_id}): start this one "
                f"with --shared-dir (or ${local_environment.SHARED_DIR_VARIABLE}) naming that "
                "directory as it is mounted here"
            )
        if shared_database:
            log.warning(
                "no shared directory (--shared-dir, $%s): OSS objects, NAS file systems and function "
                "logs of this backend stay on this host; other backends on this database cannot read "
                "them",
                local_environment.SHARED_DIR_VARIABLE,
            )
        return
    try:
        shared_dir.mkdir(parents=True, exist_ok=True)
        marker = shared_dir / SHARED_MARKER
        found = marker.read_text().strip() if marker.exists() else None
        if found is None and recorded_id is None:
            found = _write_marker(marker, uuid.uuid4().hex)
    except OSError as exc:
        raise SharedDirError(f"shared directory {shared_dir}: {exc.strerror or exc}") from exc
    if recorded_id is None:
        meta.insert("settings", "", _SHARED_SETTING, {"serviceId": found})
        stored = meta.get("settings", "", _SHARED_SETTING)
        assert stored is not None
        recorded_id = str(stored["serviceId"])  # a backend that started at the same time may win
    if found != recorded_id:
        what = f"holds service id {found}" if found else f"has no {SHARED_MARKER}"
        raise SharedDirError(
            f"shared directory {shared_dir} {what}, but the backends on this database share the "
            f"directory whose {SHARED_MARKER} holds {recorded_id}: mount that directory here and "
            "name it"
        )


def _write_marker(marker: Path, service_id: str) -> str:
    """Create the marker unless another backend just did; the id it holds."""
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return marker.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(service_id + "\n")
    return service_id


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


def open_object_metadata(databases: DatabaseSet, root: Path, *, shared: bool = False) -> ObjectMetadataStore:
    """OSS object metadata: by default beside the objects (``<root>/.meta/objects.db``), so that
    every opener of the object store finds it. ``shared``: the objects are in the directory the
    backends of a server database share; their metadata is then in that database (an SQLite file
    on a network file system is not safe for writers on several hosts)."""
    server = databases.url is not None and databases.url.scheme != "sqlite"
    if databases.url is None or (server and not shared):
        return SqliteObjectMetadataStore.beside(root)
    return SqliteObjectMetadataStore(databases.open(OSS), root)
