"""The ``ros`` command line (click).

Why the layout: each command family lives in its own module and exposes ``COMMANDS`` (a list of
click commands). The root group imports a family's module only when one of its commands runs, so
``ros fc invoke`` does not pay for the validator nor ``ros validate`` for the stack engine; ``ros
--help`` lists the commands with their summaries from a table (checked against the modules by a
test). Families that extend another group (``ros fc images``, ``ros fc tasks``) are attached when
that group is loaded.
Exit codes: 0 success, 1 operation failed, 2 usage or template error (``ros validate`` adds 4:
only warnings).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class _Family:
    module: str
    summary: str  # the command's short help, as ``ros --help`` lists it (a test checks it)
    extensions: tuple[str, ...] = ()  # modules whose commands join this group


_ROOT_COMMANDS: dict[str, _Family] = {
    "validate": _Family(
        "rosengine.cli.validate_cmd",
        "Validate ROS templates: syntax, sections, parameters, functions, references, resource types "
        "and resource properties against their schemas.",
    ),
    "resource-types": _Family(
        "rosengine.cli.resource_types_cmd",
        "List and describe the resource types ros validate knows (ROS CDK type spec).",
    ),
    "stack": _Family(
        "rosengine.cli.stack_cmd",
        "Create and manage stacks from ROS templates (resources are really created locally).",
    ),
    "transform": _Family(
        "rosengine.cli.transform_cmd",
        "Expand a template's Transform (Aliyun::Serverless-2018-04-03) into plain ROS and print it.",
    ),
    "fc": _Family(
        "rosengine.cli.fc_cmd",
        "Run the local Function Compute backend and call functions on it.",
        ("rosengine.cli.fc_images_cmd", "rosengine.cli.fc_async_cmd", "rosengine.cli.fc_functions_cmd"),
    ),
    "oss": _Family(
        "rosengine.cli.oss_cmd",
        "The local object store (oss://bucket/key); changes fire OSS triggers of the running backend.",
    ),
}


def _commands_of(module_name: str) -> list[click.Command]:
    return list(importlib.import_module(module_name).COMMANDS)


class _LazyRoot(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_ROOT_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        family = _ROOT_COMMANDS.get(cmd_name)
        if family is None:
            return None
        found = next((c for c in _commands_of(family.module) if c.name == cmd_name), None)
        if found is None:
            return None
        if isinstance(found, click.Group):
            for extension in family.extensions:
                for command in _commands_of(extension):
                    found.add_command(command)
        self.add_command(found)
        return found

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """``ros --help`` lists the commands from the table, as click would, importing none."""
        listing = click.Group(commands=[click.Command(n, help=f.summary) for n, f in _ROOT_COMMANDS.items()])
        click.Group.format_commands(listing, ctx, formatter)


@click.group(cls=_LazyRoot, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rosengine", prog_name="ros")
def cli() -> None:
    """rosengine: run Alibaba Cloud ROS templates and Function Compute locally."""


def main() -> None:
    cli(prog_name="ros")
