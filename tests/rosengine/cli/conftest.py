"""The stack fixtures of tests.support.stack_env (isolated ROS_HOME, fake cloud, engine)."""

from tests.support.stack_env import engine, isolated_home, listener

__all__ = ["engine", "isolated_home", "listener"]
