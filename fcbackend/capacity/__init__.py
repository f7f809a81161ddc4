"""Provisioned instances and scaling, idle mode, alias traffic split, metrics."""

from fcbackend.capacity.idle import FreezableInstance, FreezingDriver, IdlePolicy
from fcbackend.capacity.metrics import MetricsCollector
from fcbackend.capacity.provision import ProvisionEntry, ProvisionManager, effective_target
from fcbackend.capacity.traffic import AliasTrafficRouter, split_of, validate_weights

__all__ = [
    "AliasTrafficRouter",
    "FreezableInstance",
    "FreezingDriver",
    "IdlePolicy",
    "MetricsCollector",
    "ProvisionEntry",
    "ProvisionManager",
    "effective_target",
    "split_of",
    "validate_weights",
]
