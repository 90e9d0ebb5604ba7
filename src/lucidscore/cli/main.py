"""The ``lucidscore`` command: one Typer app; each command group lives in its own module.

Errors a person can fix (``LucidError``) print one red line and exit non-zero, with no traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from lucidscore.cli import data_cmds, evaluate_cmds, model_cmds, service_cmds
from lucidscore.errors import LucidError

app = typer.Typer(
    name="lucidscore",
    help="An open, explainable, consent-based credit score on a 350-950 scale.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for module in (model_cmds, data_cmds, evaluate_cmds, service_cmds):
    module.register(app)


def main() -> None:
    """Entry point: run the app, turning ``LucidError`` into one clear line and a non-zero exit."""
    err = Console(stderr=True)
    try:
        app(standalone_mode=False)
    except LucidError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except (typer.Exit, SystemExit) as exc:
        code = exc.exit_code if isinstance(exc, typer.Exit) else exc.code
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Abort:
        err.print("[red]aborted[/]")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("[red]interrupted[/]")
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
