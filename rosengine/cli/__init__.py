"""The ``ros`` command line (click).

Why the layout: each command family lives in its own module and exposes ``COMMANDS`` (a list of
click commands). The root group loads a family's module only when one of its commands is run (or
help lists them), so ``ros fc invoke`` does not pay for importing the validator and jsonschema.
Families that extend another group (``ros fc images``, ``ros fc tasks``) are attached when that
group is loaded.
Exit codes: 0 success, 1 operation failed, 2 usage or template error (``ros validate`` adds 4:
only warnings).
"""

from __future__ import annotations

import importlib

import click

# root command name -> (module, extension modules attached to that group)
_ROOT_COMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "validate": ("rosengine.cli.validate_cmd", ()),
    "resource-types": ("rosengine.cli.resource_types_cmd", ()),
    "stack": ("rosengine.cli.stack_cmd", ()),
    "transform": ("rosengine.cli.transform_cmd", ()),
    "fc": (
        "rosengine.cli.fc_cmd",
        ("rosengine.cli.fc_images_cmd", "rosengine.cli.fc_async_cmd", "rosengine.cli.fc_functions_cmd"),
    ),
    "oss": ("rosengine.cli.oss_cmd", ()),
}


def _commands_of(module_name: str) -> list[click.Command]:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return []  # that family is not installed
        raise
    return list(getattr(module, "COMMANDS", []))


class _LazyRoot(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(_ROOT_COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = _ROOT_COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, extensions = entry
        found = next((c for c in _commands_of(module_name) if c.name == cmd_name), None)
        if found is None:
            return None
        if isinstance(found, click.Group):
            for extension in extensions:
                for command in _commands_of(extension):
                    found.add_command(command)
        self.add_command(found)
        return found


@click.group(cls=_LazyRoot, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rosengine", prog_name="ros")
def cli() -> None:
    """rosengine: run Alibaba Cloud ROS templates and Function Compute locally."""


def main() -> None:
    cli(prog_name="ros")
