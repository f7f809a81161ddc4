"""``--output text|json|yaml`` and ``--query JMESPATH`` for every command, as the aliyun and AWS
CLIs do: the JSON form is the source of truth; ``--query`` is applied to it; text is a readable
rendering (rich tables) of the same data."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click


def text_console(**options: Any) -> Any:
    """The rich Console every text rendering uses. Markup, emoji codes and highlighting are off:
    the tables show user data (parameter values, outputs, function results, error messages),
    and ``[/x]`` in a value must print as written, not raise a MarkupError, nor ``:b:`` turn into
    an emoji. Styling is given explicitly with ``rich.text.Text(..., style=...)``."""
    from rich.console import Console

    return Console(markup=False, emoji=False, highlight=False, **options)


def output_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--query", "query", default=None, help="JMESPath expression applied to the JSON form.")(
        fn
    )
    fn = click.option(
        "--output",
        "-o",
        "output",
        type=click.Choice(["text", "json", "yaml"]),
        default="text",
        show_default=True,
        help="Output format.",
    )(fn)
    return fn


def emit(data: Any, output: str, query: str | None, text: Callable[[Any], None] | None = None) -> None:
    """Print ``data`` in the chosen format. ``text`` renders the (queried) data for humans; when
    a query is given or no renderer exists, text falls back to JSON/plain values."""
    if query:
        import jmespath  # only with --query, as yaml only for -o yaml: every command emits

        try:
            data = jmespath.search(query, data)
        except jmespath.exceptions.JMESPathError as exc:
            raise click.UsageError(f"invalid --query expression: {exc}") from exc
    if output == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    elif output == "yaml":
        import yaml

        click.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False).rstrip())
    elif text is not None and not query:
        text(data)
    elif isinstance(data, str):
        click.echo(data)
    else:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
