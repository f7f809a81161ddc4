"""``Fn::ResourceFacade`` — a Heat provider-template function with no ROS meaning: ``NotSupported``."""

from __future__ import annotations

from rosengine.functions._unsupported import unsupported

unsupported("Fn::ResourceFacade", "it only has a meaning inside Heat provider templates")
