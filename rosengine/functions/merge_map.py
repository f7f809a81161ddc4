"""``Fn::MergeMap`` — recognised by ROS tooling but undocumented: a clear ``NotSupported`` error."""

from __future__ import annotations

from rosengine.functions._unsupported import unsupported

unsupported("Fn::MergeMap", "merge maps with Fn::Add instead")
