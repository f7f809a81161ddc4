"""``create_app``: the whole backend composed in one place, top-down.

Why one module: every store, service, route and lifespan of the backend is built here and handed
to whoever needs it, so how the parts fit together reads from top to bottom in one function
instead of being spread over add-ons that patch the app after it is built. In order:

1. the stores, all on the backend's databases (:mod:`fcbackend.store_factory`: one SQLite file
   per store group, or all in ``config.database_url``): FC metadata, content-addressed code,
   invocation records, and below each service's own;
2. the scheduler with its instance drivers (``ros fc serve --driver``), unless a test hands one;
3. RAM/STS (:mod:`fcbackend.ram`): every key, policy and STS session; the identity contract
   (:mod:`fcbackend.access`) every twin verifies and authorizes through; CAS's certificates
   (:mod:`fcbackend.cas`) on RAM/STS's RPC endpoint;
4. the API state (:class:`~fcbackend.api.state.BackendState`) and the FC 2.0 routes, with the
   invoke fast path of :class:`~fcbackend.app.FcApp`; the FC 3.0 API on the same state;
5. with ``addons``: the cloud twins and the gateway (:mod:`fcbackend.twins`: SLS, the
   ``*.aliyuncs.com`` gateway the instance drivers reach them through), then the services around
   the FC API (:class:`~fcbackend.services.BackendAddons`: async queue, triggers and timers, OSS
   and its HTTP API, provisioning, idle mode, alias traffic, metrics), and ROS's own services
   (ROS callbacks for WaitConditions and custom resources, API Gateway routes, NAS file systems);
6. the RPC endpoint (RAM, STS, CAS), outermost;
7. one lifespan that starts all of it in that order and stops it in reverse.

The order of the middlewares matters: the last one added runs first (see each step).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from fcbackend import fc3
from fcbackend.api.auth import FcRequestMiddleware
from fcbackend.api.errors import FcError
from fcbackend.api.routes import core_routes
from fcbackend.api.state import BackendState
from fcbackend.apigateway.front import ApiGatewayFront
from fcbackend.apigateway.routes import routes as apigateway_routes
from fcbackend.app import FcApp, driver_info, fc_error_page, http_error_page
from fcbackend.asyncq import routes as async_routes
from fcbackend.backend_config import BackendConfig
from fcbackend.cas import api as cas_api
from fcbackend.cas.api import CasApi
from fcbackend.clock import DEFAULT_CLOCK, Clock
from fcbackend.cluster.agent import AgentSettings
from fcbackend.cluster.placement import ClusterPlacement, ClusterUnavailable, cluster_drivers, owner_name
from fcbackend.instances.driver import InstanceDriver
from fcbackend.nas.routes import routes as nas_routes
from fcbackend.nas.service import NasService
from fcbackend.oss.wiring import mount_oss_api
from fcbackend.ram.wiring import build_identity
from fcbackend.roscallbacks.routes import routes as ros_callback_routes
from fcbackend.roscallbacks.service import HANDLE_PATH, RESPONSE_PATH, RosCallbacks
from fcbackend.scheduler import Scheduler, SchedulerConfig, build_default_drivers
from fcbackend.services import BackendAddons, ConfigChangeMiddleware
from fcbackend.store import CodeStore, InvocationRecorder
from fcbackend.store_factory import (
    backend_databases,
    check_shared_dir,
    open_apigateway_store,
    open_callback_store,
    open_cas_store,
    open_code_contents,
    open_invocation_log,
    open_metadata_store,
    open_nas_store,
    open_ram_store,
    open_sls_store,
    shared_root_credentials,
)
from fcbackend.triggers import routes as trigger_routes
from fcbackend.triggers.routes import CustomDomainMiddleware
from fcbackend.twins import CloudTwins, build_cloud_twins


def default_scheduler(config: BackendConfig) -> Scheduler:
    """The real scheduler with this machine's drivers, or with the nodes of a Ray cluster
    (``config.cluster``). Raises ValueError when ``config.driver`` names a driver that cannot run
    here, or the cluster cannot be joined (:class:`fcbackend.cluster.placement.ClusterUnavailable`)."""
    if config.cluster:
        drivers, default = cluster_drivers_for(config)
    else:
        drivers, default = build_default_drivers(config.state_dir, config.driver)
    return Scheduler(drivers, default_driver=default, config=SchedulerConfig(), state_dir=config.state_dir)


def cluster_drivers_for(config: BackendConfig) -> tuple[dict[str, InstanceDriver], str]:
    """Drivers that place instances on the Ray cluster ``config.cluster``. Ray is imported here
    and only here, so a backend without ``--cluster`` never loads it."""
    assert config.cluster is not None
    if importlib.util.find_spec("ray") is None:
        raise ClusterUnavailable(
            "--cluster needs Ray, which is not installed: pip install 'rosengine[cluster]'"
        )
    from fcbackend.cluster.ray_plane import RayPlane

    plane = RayPlane.connect(config.cluster)
    settings = AgentSettings()  # --driver goes with each start (cluster_drivers), not to the shared agents
    placement = ClusterPlacement(
        plane, settings, owner_name(str(config.state_dir.resolve())), config.advertise_address
    )
    return cluster_drivers(placement, config.driver)


def backend_routes(extra: list[BaseRoute] | None = None) -> list[BaseRoute]:
    """Every route of the backend, in the order the router tries them: the FC 2.0 API (invoke
    first, the hot path), the async queue's, the triggers' (their catch-all for custom domains
    last of the API's), then ``extra`` (tests)."""
    return [*core_routes(), *async_routes.ROUTES, *trigger_routes.ROUTES, *(extra or [])]


def create_app(
    config: BackendConfig | None = None,
    *,
    scheduler: Any = None,
    extra_routes: list[BaseRoute] | None = None,
    addons: bool = True,
    cloud_twins: bool = True,
    clock: Clock = DEFAULT_CLOCK,
    seed: int | None = None,
) -> Starlette:
    """Build the backend app for ``config`` (default: the ``$ROS_HOME/fc`` state directory).

    ``scheduler``: an object with the Scheduler API of ARCHITECTURE.md (tests pass a small fake);
    default: :func:`default_scheduler`. ``addons=False`` leaves out step 5 (twins, gateway, async
    queue, triggers, OSS, capacity): the bare FC APIs, for tests of the API itself;
    ``cloud_twins=False`` leaves out only the SLS twin and the gateway (what they cost is measured
    in benchmarks/bench_gateway.py). ``clock`` dates STS credentials, timers and async retries
    (tests move a manual one); ``seed`` makes alias traffic splitting repeatable.
    """
    # 1. stores
    config = config or BackendConfig.for_state_dir()
    config.state_dir.mkdir(parents=True, exist_ok=True)
    databases = backend_databases(config)
    meta = open_metadata_store(databases)
    shared_database = databases.url is not None and databases.url.scheme != "sqlite"
    if shared_database:  # one service, one key pair
        config.access_key_id, config.access_key_secret = shared_root_credentials(
            meta, config.access_key_id, config.access_key_secret
        )
    check_shared_dir(meta, config.shared_dir, shared_database=shared_database)
    code = CodeStore(config.state_dir, meta, open_code_contents(databases))
    recorder = InvocationRecorder(open_invocation_log(databases), config.logs_dir, config.flush_interval_s)

    # 2. the scheduler (before RAM/STS: a --driver that cannot run here fails early); every
    # invocation is recorded, lifecycle hooks' output goes to the function log
    # (docs/reference/fc-runtime.md#lifecycle-hooks).
    if scheduler is None:
        scheduler = default_scheduler(config)
    scheduler.add_listener(recorder.record)
    scheduler.add_log_listener(lambda spec, data: recorder.append_log(spec.service, spec.function, data))

    # 3. RAM/STS: knows every key (the backend's pair is the account's root), authorizes every
    # request, mints role credentials for functions.
    identity = build_identity(
        open_ram_store(databases),
        account_id=config.account_id,
        root_access_key_id=config.access_key_id,
        root_access_key_secret=config.access_key_secret,
        clock=clock,
        signatures_required=config.auth,
    )
    access = identity.access
    # CAS: certificates, on RAM/STS's RPC endpoint (one signature check for every RPC twin).
    cas_store = open_cas_store(databases)
    identity.endpoint.add_product(cas_api.PRODUCT, cas_api.VERSION, CasApi(cas_store).actions, cas_api.HOSTS)

    # 4. the FC 2.0 API and its state; FC 3.0 on the same state.
    state = BackendState(
        config=config,
        databases=databases,
        meta=meta,
        code=code,
        recorder=recorder,
        scheduler=scheduler,
        access=access,
        role_credentials=identity.function_credentials,
        now=clock.time,
    )
    app = FcApp(
        routes=backend_routes(extra_routes),
        middleware=[Middleware(FcRequestMiddleware, config=config, access=access)],
        exception_handlers={FcError: fc_error_page, HTTPException: http_error_page},
    )
    app.fc_front = FcRequestMiddleware(app.router, config, access)
    app.state.fc = state
    app.state.background_tasks = set()
    app.state.driver_info = driver_info(scheduler, config)
    app.state.identity = identity
    fc3.install(app)

    # 5. the cloud twins and the gateway first: they give the instance drivers their network
    # before idle mode wraps the drivers; then the services around the FC API.
    cloud: CloudTwins | None = None
    services: BackendAddons | None = None
    closing: list[Callable[[], None]] = []  # stores of the services that have no life cycle of their own
    if addons and cloud_twins:
        cloud = build_cloud_twins(config, open_sls_store(databases), access, app)
        cloud.attach(app, state)
        app.state.cloud_twins = cloud
    if addons:
        services = BackendAddons(state, state_dir=config.state_dir, clock=clock, seed=seed)
        services.attach()
        # Idle mode: every instance behind a wrapper that can freeze it. After the twins, so the
        # wrapped drivers already have their network.
        if scheduler.drivers:
            scheduler.drivers = services.wrap_drivers(scheduler.drivers)
        app.state.fc_addons = services
        app.state.async_submit = services.async_submit
        app.state.oss_service = services.oss
        app.add_middleware(CustomDomainMiddleware)
        app.add_middleware(ConfigChangeMiddleware, addons=services)
        # The OSS API, outside those: *.aliyuncs.com OSS hosts and OSS-signed requests.
        mount_oss_api(
            app,
            services.oss,
            credentials=access,
            authorizer=access,
            account_id=config.account_id,
            region=config.region,
            unsigned_caller=None if config.auth else access.root,
        )
        # ROS's own services: their routes first (their paths are theirs alone), API Gateway's
        # front outside the OSS API (it claims API Gateway hosts).
        callback_store = open_callback_store(databases)
        callbacks = RosCallbacks(callback_store)
        app.state.ros_callbacks = callbacks
        if cloud is not None and cloud.gateway.own_url is not None:
            # Handle and response URLs on the gateway's own address: the backend's endpoint is on
            # this machine's loopback, which a function with a network of its own (internetAccess
            # false) or in a container cannot reach; the gateway's address answers in all of them.
            # Without the gateway's listeners (not root) they stay on the endpoint asked at.
            for prefix in (HANDLE_PATH, RESPONSE_PATH):
                cloud.twins.add_local_path(prefix, app)
            callbacks.set_public_base(cloud.gateway.own_url)
        apigateway_store = open_apigateway_store(databases)
        app.state.apigateway_store = apigateway_store
        nas = NasService(config.content_dir, open_nas_store(databases))
        app.state.nas = nas
        app.router.routes[0:0] = [*nas_routes(), *apigateway_routes(), *ros_callback_routes()]
        app.add_middleware(ApiGatewayFront, store=lambda: apigateway_store, state=lambda: state)
        closing.extend([callback_store.close, apigateway_store.close, nas.close])

    # 6. RAM/STS's RPC endpoint, outermost.
    identity.mount(app)

    # 7. one lifespan: start in the order built, stop in reverse.
    @contextlib.asynccontextmanager
    async def lifespan(the_app: Starlette) -> AsyncIterator[None]:
        recorder.start()
        if cloud is not None:
            cloud.sls.start()
        try:
            await scheduler.start()
            try:
                if cloud is not None:
                    await cloud.gateway.start()
                try:
                    if services is not None:
                        await services.start()
                    try:
                        yield
                    finally:
                        if services is not None:
                            await services.close()
                finally:
                    if cloud is not None:
                        await cloud.gateway.close()
            finally:
                tasks = list(the_app.state.background_tasks)
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await scheduler.close()
        finally:
            if cloud is not None:
                cloud.sls.close()  # after the scheduler: instances stopping may still log
            for close in closing:
                close()
            recorder.close()
            cas_store.close()
            identity.close()

    app.router.lifespan_context = lifespan
    return app
