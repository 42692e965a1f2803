"""`zhizao …` commands: one module per command group (``data``, ``demo``, ``land``, ``clusters``,
``chains``, ``policy``); ``main`` is the console entry point.

Shell only: every command parses its arguments, calls one function of ``zhizao.services`` and
renders the typed result with Rich. Domain errors (``zhizao.errors``) go to stderr with their
exit code (``_shell.service`` / ``_shell.handled``).
"""

from __future__ import annotations

from typing import Annotated

import typer

import zhizao
from zhizao.cli._shell import out

app = typer.Typer(
    name="zhizao",
    help="智造 zhizao: turn a region's enterprise data into manufacturing-policy decisions. "
    "Build or import data into the warehouse, then run the analyses.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
def _version(value: bool) -> None:
    if value:
        out.print(f"zhizao {zhizao.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """智造 zhizao: regional manufacturing-policy platform."""


# ---------------------------------------------------------------------------------------------
def _add_commands() -> None:
    """The data commands, the demo and the lever command groups (one module each)."""
    from zhizao.cli import data, demo, serve
    from zhizao.cli.chains import chains_app
    from zhizao.cli.clusters import clusters_app
    from zhizao.cli.land import land_app
    from zhizao.cli.policy import package_cmd, policy_app
    from zhizao.cli.users import users_app

    app.command()(data.synth)
    app.command("import")(data.import_)
    app.command()(data.template)
    app.command()(data.tables)
    app.command()(data.quarantine)
    app.command()(demo.demo)
    app.command()(serve.serve)
    app.add_typer(land_app, name="land")
    app.add_typer(clusters_app, name="clusters")
    app.add_typer(chains_app, name="chains")
    app.add_typer(policy_app, name="policy")
    app.command("package")(package_cmd)
    app.add_typer(users_app, name="users")


def render_cli_reference() -> str:
    """docs/cli.md, generated from the commands' ``--help`` (a test keeps the file current)."""
    command = typer.main.get_command(app)
    context = command.context_class
    parts = ["# zhizao command reference", "",
             "Generated from `zhizao --help` and each command's `--help`; do not edit by hand "
             "(regenerate with `python -c 'from zhizao.cli import render_cli_reference as r; print(r(), end=\"\")' > docs/cli.md`).",
             ""]
    with context(command, info_name="zhizao", terminal_width=100) as ctx:
        parts += ["## zhizao", "", "```text", command.get_help(ctx).rstrip(), "```", ""]
        parts += _command_sections(command, ctx, "zhizao")
    return "\n".join(parts)


def _command_sections(group, ctx, prefix: str) -> list[str]:
    """One section per command, descending into command groups (``zhizao land evaluate``)."""
    parts: list[str] = []
    for name in sorted(group.commands):
        sub = group.commands[name]
        with sub.context_class(sub, info_name=name, parent=ctx, terminal_width=100) as sub_ctx:
            parts += [f"## {prefix} {name}", "", "```text", sub.get_help(sub_ctx).rstrip(), "```", ""]
            if getattr(sub, "commands", None):
                parts += _command_sections(sub, sub_ctx, f"{prefix} {name}")
    return parts


_add_commands()


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
