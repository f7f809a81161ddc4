"""Warm pool, concurrency, limits, keep-alive (see ARCHITECTURE.md "Scheduler API")."""

from fcbackend.scheduler.drivers import build_default_drivers
from fcbackend.scheduler.scheduler import Scheduler
from fcbackend.scheduler.scheduler_config import SchedulerConfig

__all__ = ["Scheduler", "SchedulerConfig", "build_default_drivers"]
