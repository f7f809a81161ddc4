"""The ``ros`` command line (click).

Why the layout: each command family lives in its own module and exposes ``COMMANDS`` (a list of
click commands). This root attaches them to the root group or to a named sub-group, so the
validator, the stack engine, the FC backend and its add-ons can grow their CLIs independently.
Exit codes: 0 success, 1 operation failed, 2 usage or template error (``ros validate`` adds 4:
only warnings).
"""

from __future__ import annotations

import importlib

import click

# (module, group to attach to: None = root)
_COMMAND_MODULES: list[tuple[str, str | None]] = [
    ("rosengine.cli.validate_cmd", None),
    ("rosengine.cli.stack_cmd", None),
    ("rosengine.cli.fc_cmd", None),
    ("rosengine.cli.fc_images_cmd", "fc"),
    ("rosengine.cli.fc_async_cmd", "fc"),
    ("rosengine.cli.oss_cmd", None),
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rosengine", prog_name="ros")
def cli() -> None:
    """rosengine: run Alibaba Cloud ROS templates and Function Compute locally."""


def _attach() -> None:
    for module_name, group_name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # that family is not built yet
            raise
        target: click.Group = cli
        if group_name is not None:
            found = cli.commands.get(group_name)
            if not isinstance(found, click.Group):
                continue
            target = found
        for command in getattr(module, "COMMANDS", []):
            target.add_command(command)


_attach()


def main() -> None:
    cli(prog_name="ros")
