"""``Fn::TransformNamespace`` — recognised by ROS tooling but undocumented: ``NotSupported``."""

from __future__ import annotations

from rosengine.functions._unsupported import unsupported

unsupported("Fn::TransformNamespace", "write the transformed names out literally or build them with Fn::Sub")
