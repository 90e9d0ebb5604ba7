"""The CLI entry point: errors a person can fix are one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from lucidscore.cli import main as cli_main
from lucidscore.errors import InputError


def test_version_through_real_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lucidscore.cli.main", "version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.strip() == "0.1.0"


def test_lucid_error_is_one_line_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    app = typer.Typer()

    @app.command()
    def boom() -> None:
        raise InputError(f"{tmp_path}/x.csv row 3: days_past_due is -3; expected an integer >= 0")

    @app.command()
    def other() -> None:
        pass

    monkeypatch.setattr(cli_main, "app", app)
    monkeypatch.setattr(sys, "argv", ["lucidscore", "boom"])
    with pytest.raises(SystemExit) as info:
        cli_main.main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "row 3: days_past_due is -3" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2  # one line, wrapped at most once by the terminal width


def test_unknown_command_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lucidscore.cli.main", "no-such-command"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "No such command" in result.stderr


def test_error_text_is_printed_verbatim(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Values in messages are data: ':smile:' and '[red]' must not become an emoji or markup."""
    app = typer.Typer()
    message = "data.csv row 2: found '[red]x[/red] :smile: TABLE:link:HASH'; expected a number"

    @app.command()
    def boom() -> None:
        raise InputError(message)

    @app.command()
    def other() -> None:
        pass

    monkeypatch.setattr(cli_main, "app", app)
    monkeypatch.setattr(sys, "argv", ["lucidscore", "boom"])
    with pytest.raises(SystemExit):
        cli_main.main()
    assert " ".join(capsys.readouterr().err.split()) == f"error: {message}"


@pytest.mark.parametrize("command", ["train", "score", "ingest", "evaluate", "publish"])
def test_a_single_command_runs_in_an_app_of_its_own_module_with_the_same_help(command: str) -> None:
    """``main`` builds only the invoked command's module (click builds every parameter of every command
    before parsing, ~0.35 s): its help and usage errors must be those of the whole app."""
    from typer.testing import CliRunner

    from lucidscore.cli.main import app, app_for

    small = app_for([command, "--help"])
    assert small is not app
    assert len(small.registered_commands) < len(app.registered_commands)
    runner = CliRunner()
    for args in ([command, "--help"], [command, "--no-such-flag"]):
        whole, alone = runner.invoke(app, args), runner.invoke(small, args)
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output)


@pytest.mark.parametrize(
    "argv",
    [
        ["admin", "--help"],
        ["admin"],
        ["admin", "create"],
        ["admin", "nosuch"],
        ["admin", "create", "--help"],
        ["model", "list", "--no-such-flag"],
        ["merchant", "redirect-uri"],
        ["merchant", "redirect-uri", "add", "--help"],
        ["shards", "--help"],
        ["audit", "verify", "--help"],
        ["catalogue", "set", "--help"],
    ],
)
def test_a_command_group_runs_in_an_app_of_its_own_with_the_same_help(argv: list[str]) -> None:
    """A command group (``admin create``, ``model list``…) runs in an app holding that group alone (the whole
    tree's parameters cost most of an ``admin create``'s start): its help and usage errors must be those of
    the whole app."""
    from typer.testing import CliRunner

    from lucidscore.cli.main import app, app_for

    small = app_for(argv)
    assert small is not app and [g.name for g in small.registered_groups] == [argv[0]]
    assert not small.registered_commands
    runner = CliRunner()
    whole, alone = runner.invoke(app, argv), runner.invoke(small, argv)
    assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output)


@pytest.mark.parametrize("argv", [[], ["--help"], ["nope"], ["--nope"]])
def test_no_command_or_an_unknown_command_uses_the_whole_app(argv: list[str]) -> None:
    from lucidscore.cli.main import app, app_for

    assert app_for(argv) is app


LONG = "q" * 300  # longer than any file name a Linux file system takes (255 bytes)


@pytest.mark.parametrize(
    "argv",
    [
        ["model", "register", "{long}.json", "--db", "sqlite:///{tmp}/a.db"],
        ["model", "show", "{long}.json"],
        ["catalogue", "set", "{long}.json", "--db", "sqlite:///{tmp}/a.db"],
        ["admin", "import", "{long}.csv", "--db", "sqlite:///{tmp}/a.db"],
        ["ingest", "{long}", "--db", "sqlite:///{tmp}/a.db"],
        ["features", "--data", "{long}", "--as-of", "2026-06-30", "--out", "{tmp}/f.parquet"],
        ["shards", "status", "{long}.toml"],
        ["publish", "--shards", "{long}.toml", "--as-of", "2026-06-30"],
        ["serve", "--shards", "{long}.toml"],
    ],
)
def test_a_path_the_file_system_refuses_is_one_line_naming_it(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file argument the operating system refuses (here a name too long) is one line naming the file
    and the system's reason, exit 2, wherever in a command it is first touched: never an OSError
    traceback."""
    monkeypatch.chdir(tmp_path)
    args = [a.format(long=LONG, tmp=tmp_path) for a in argv]
    monkeypatch.setattr(sys, "argv", ["lucidscore", *args])
    monkeypatch.setenv("COLUMNS", "250")
    with pytest.raises(SystemExit) as info:
        cli_main.main()
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ") and LONG in err and "File name too long" in err
