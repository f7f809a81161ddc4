"""``Fn::Test`` — recognised by ROS tooling but undocumented: a clear ``NotSupported`` error."""

from __future__ import annotations

from rosengine.functions._unsupported import unsupported

unsupported("Fn::Test", "use Fn::Equals, Fn::Contains or Fn::MatchPattern for checks")
