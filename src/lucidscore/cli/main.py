"""The ``lucidscore`` command: one Typer app; each command group lives in its own module.

Errors a person can fix (``LucidError``) print one red line and exit non-zero, with no traceback.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from lucidscore.cli import (
    _interrupt,
    admin_cmds,
    audit_cmds,
    catalogue_cmds,
    data_cmds,
    evaluate_cmds,
    ingest_cmds,
    lda_cmds,
    model_cmds,
    oauth_cmds,
    publish_cmds,
    registry_cmds,
    score_cmds,
    service_cmds,
    shard_cmds,
)
from lucidscore.errors import LucidError

SETTINGS: dict[str, Any] = {
    "name": "lucidscore",
    "help": "An open, explainable, consent-based credit score on a 350-950 scale.",
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "add_completion": False,
    "cls": _interrupt.Group,  # an interrupted command says what it kept and how to finish (exit 130/143)
}
app = typer.Typer(**SETTINGS)


@app.callback()
def _root() -> None:
    """An open, explainable, consent-based credit score on a 350-950 scale."""


@app.command()
def version() -> None:
    """Print the lucidscore version."""
    from lucidscore import __version__

    typer.echo(__version__)


COMMANDS = (
    data_cmds,
    ingest_cmds,
    model_cmds,
    score_cmds,
    evaluate_cmds,
    lda_cmds,
    publish_cmds,
    service_cmds,
    audit_cmds,
    admin_cmds,
    registry_cmds,
    catalogue_cmds,
    oauth_cmds,
    shard_cmds,
)
# Which module registered each top-level command, for modules that add no command group (a group's Typer
# lives in its module and cannot be registered twice); and each command group's Typer, by name.
_ALONE: dict[str, ModuleType] = {}
_GROUPS: dict[str, typer.Typer] = {}
for module in COMMANDS:
    commands, groups = len(app.registered_commands), len(app.registered_groups)
    module.register(app)
    if len(app.registered_groups) == groups:
        for info in app.registered_commands[commands:]:
            name = info.name or (info.callback.__name__.replace("_", "-") if info.callback else "")
            _ALONE[name] = module
    for group in app.registered_groups[groups:]:
        if group.name and group.typer_instance is not None:
            _GROUPS[group.name] = group.typer_instance


def app_for(argv: list[str]) -> typer.Typer:
    """The app to run for ``argv`` (the arguments after the program name): for a command of a module with
    no command group (``train``, ``score``…), an app holding that module's commands alone; for a command
    group (``admin``, ``model``, ``shards``…), an app holding that group alone. Click builds every command's
    parameters before it parses any, which costs about 0.35 s for the whole tree — a tenth of a
    1,000,000-row ``train``, and most of an ``admin create``. Help, usage errors and behaviour are those of
    the full app."""
    name = argv[0] if argv else ""
    module, group = _ALONE.get(name), _GROUPS.get(name)
    if module is None and group is None:
        return app
    small = typer.Typer(**SETTINGS)
    small.callback()(_root)
    if module is not None:
        module.register(small)
    elif group is not None:
        small.add_typer(group, name=name)
    return small


def message_of(exc: LucidError) -> str:
    """What the CLI says for an error: a library parameter (``parameter cutoff: ...``) as its flag
    (``--cutoff: ...``). Commands whose flag is not ``--`` plus the parameter's name say it themselves
    (``cli._flags.flags``)."""
    return exc.for_flag("--" + exc.parameter.replace("_", "-")) if exc.parameter else exc.message


def main() -> None:
    """Entry point: run the app, turning ``LucidError`` (and an ``OSError`` about a path) into one clear
    line and a non-zero exit; Ctrl-C and SIGTERM into what was kept and the command that finishes it
    (``cli._interrupt``)."""
    try:
        with _interrupt.handled():
            app_for(sys.argv[1:])()  # standalone: usage errors print click's message and exit 2
    except LucidError as exc:
        _print_error(message_of(exc))
        sys.exit(exc.exit_code)
    except OSError as exc:
        # A path the operating system refuses (a name too long, a loop of links, no permission, a full
        # disk), wherever a command first touches it: the file and the system's reason, as one line. Other
        # OSErrors (no file named) are not a person's input and keep their traceback.
        if exc.filename is None:
            raise
        _print_error(f"{exc.filename}: the operating system refused this path ({exc.strerror or exc})")
        sys.exit(LucidError.exit_code)


def _print_error(message: str) -> None:
    # The message is data (file names, values): printed as text, never as Rich markup or emoji codes.
    line = Text.assemble(("error:", "bold red"), " ", message)
    Console(stderr=True, emoji=False).print(line, highlight=False, soft_wrap=True)


if __name__ == "__main__":
    main()
