"""What an interrupted command tells the operator: the one place that handles Ctrl-C and SIGTERM.

``handled`` (around ``cli.main``) makes SIGTERM raise ``Terminated``, a ``KeyboardInterrupt``, so that
a terminated command unwinds exactly as one stopped with Ctrl-C does: psycopg cancels the running query,
every transaction in progress rolls back, Rich progress bars stop and give the terminal back. The app's root
group (``Group``, the ``cls`` of every ``lucidscore`` app) catches the interrupt once every ``with`` block
below it has closed, prints on stderr what was interrupted, what of the run is kept and the command that
finishes it, and exits 130 (SIGINT) or 143 (SIGTERM), without a traceback.

What is kept comes from the work below when it knows (``attach``: the shard runner gives the interrupt
each shard's state), else from ``KEPT``, what each command that writes in more than one step keeps;
every other command writes in one transaction, or a file renamed into place when it is complete, or only
reads. ``serve`` and ``demo`` serve until Ctrl-C: uvicorn stops them cleanly and they say "Stopped.".
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

EXIT_SIGINT = 128 + signal.SIGINT  # 130, as a shell reports a command stopped by Ctrl-C
EXIT_SIGTERM = 128 + signal.SIGTERM  # 143

_LEDGER = "lucidscore_ledger"  # the attribute of an interrupt that carries the command's account
_ARGS = "lucidscore.interrupt.args"  # the key of the command line in the context's ``meta``


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the main thread runs, as Ctrl-C raises ``KeyboardInterrupt``."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated("terminated (SIGTERM)")


@contextmanager
def handled() -> Iterator[None]:
    """Inside, SIGTERM stops a command as Ctrl-C does (SIGINT keeps Python's own handler); the previous
    handler is back after (the entry point may run inside another program: a test)."""
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# A test hook: with this variable set to a point of the work ("step": a publish's chunk committed; "shard
# N": shard N's first step done; "shard N: STAGE": shard N starting a stage, e.g. an ingest's next file
# "shard 1: accounts (accounts.csv)" once the files before it are committed), the command pauses there
# until it is interrupted, so that a test can interrupt it at a known point (tests/cli/test_interrupt.py)
# rather than after a guessed sleep.
PAUSE_VARIABLE = "LUCIDSCORE_TEST_PAUSE"


def pause_for_a_test(point: str, check: Callable[[], None] | None = None) -> None:
    """Pause at ``point`` when the test hook names it, until interrupted (``check`` raises the interrupt
    in a process that does not receive it)."""
    if os.environ.get(PAUSE_VARIABLE) != point:
        return
    sys.stderr.write(f"{PAUSE_VARIABLE}: paused at {point}\n")
    sys.stderr.flush()
    while True:
        if check is not None:
            check()
        time.sleep(0.02)


@dataclass
class Ledger:
    """What an interrupted command knew of its work, said instead of its standing account: one line per
    part (a shard: finished with its counts, interrupted, not started), and what running it again does."""

    lines: list[str] = field(default_factory=list)
    again: str | None = None


def attach(exc: KeyboardInterrupt, account: Ledger) -> None:
    """Give the interrupt going up the command's account of it (what the work below knew, said by
    ``Group``): the exception carries it, so nothing is kept aside between commands."""
    setattr(exc, _LEDGER, account)


@dataclass(frozen=True)
class Kept:
    """A command's standing account of an interrupt: what is kept, and what running it again does."""

    kept: str
    again: str


ONE_STEP = Kept(
    "nothing of this run was written (its changes are one transaction, rolled back, or files written "
    "under a temporary name and renamed into place only when complete)",
    "",
)
SHARD_BY_SHARD = Kept(
    "each shard commits on its own: the shards finished before the interrupt keep the change, the one in "
    "progress was rolled back",
    "it finishes the other shards and changes nothing where the change is made",
)
# The commands that write in more than one step (by command path); "--shards" commands default to
# SHARD_BY_SHARD, the others to ONE_STEP.
KEPT: dict[str, Kept] = {
    "publish": Kept(
        "the consumers written before the interrupt (each chunk of --chunk-consumers is its own "
        "transaction, per shard with --shards; the chunk in progress was rolled back); this run is recorded "
        "as a failed publication",
        "it scores every consumer again and writes only the rows not yet written: a consumer already "
        "written gets no second row; with --shards, a shard whose publish of the month had finished is not "
        "scored again unless a record of it changed meanwhile or --full is given",
    ),
    "ingest": Kept(
        "the files loaded before the interrupt (each file is one transaction; the file loading was rolled "
        "back, its batch recorded as failed)",
        "it loads the rest; the files already loaded are read again and found unchanged",
    ),
    "model activate": Kept(
        "the model is active only where its activation finished (with --shards, shard by shard); a model "
        "without scores is first published for the newest month, and the consumers that publish wrote are "
        "kept (chunk by chunk)",
        "it finishes the publish (no second row for a consumer already written) and activates the model",
    ),
    "synth": Kept(
        "nothing of this run: its tables are written under temporary names, renamed into place only once "
        "every table is complete, and the temporary files were removed; files already in the output folder "
        "are as they were",
        "the same seed writes the same files",
    ),
    "demo": Kept(
        "an unfinished demo: the folder is marked complete (demo.json) only when its build finishes, and an "
        "earlier demo there was removed when this build started",
        "an unfinished demo is built afresh",
    ),
    "admin import": Kept(
        "without --shards, nothing was created (one transaction; a --secrets-out file written for it is "
        "removed); with --shards, the accounts of the shards committed before the interrupt (--secrets-out "
        "keeps their secrets, and only theirs), and the usernames claimed for the others stay claimed "
        "(lucidscore shards status MAP lists them)",
        "it makes the accounts not yet made, with new secrets for those only; give --secrets-out a new file",
    ),
    "shards init": Kept(
        "the shards created and stamped before the interrupt",
        "it creates and stamps the rest; a shard already stamped is left as it is",
    ),
}


def standing(path: str, args: Sequence[str]) -> Kept:
    """What command ``path`` (``admin import``) run with ``args`` keeps when it is interrupted."""
    if path in KEPT:
        return KEPT[path]
    sharded = any(a == "--shards" or a.startswith("--shards=") for a in args)
    return SHARD_BY_SHARD if sharded else ONE_STEP


def _shown(arg: str) -> str:
    """An argument as it may be printed: a database URL without its password."""
    if "://" not in arg:
        return arg
    from lucidscore.cli._db import shown

    flag, eq, url = arg.partition("=") if arg.startswith("--") else ("", "", arg)
    return f"{flag}{eq}{shown(url)}"


def command_line(args: Sequence[str]) -> str:
    """The command as typed, to run again (passwords in URLs hidden)."""
    return shlex.join(["lucidscore", *(_shown(a) for a in args)])


def tell(signum: int, path: str, args: Sequence[str], account: Ledger) -> None:
    """Print, on stderr, what was interrupted, what is kept and the command that finishes it."""
    said = standing(path, args)
    how = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
    err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
    lines = [f"interrupted ({how}): {command_line(args)}"]
    lines += [f"  {line}" for line in account.lines] or [f"  kept: {said.kept}"]
    again = account.again if account.again is not None else said.again
    lines.append(
        "To finish, run the same command again: " + command_line(args) + (f" ({again})" if again else "")
    )
    err.print("\n".join(lines), markup=False)


def _path(group: TyperGroup, ctx: Any, args: Sequence[str]) -> str:
    """The command path (``admin import``) in ``args``: its leading words that name commands."""
    words: list[str] = []
    current: Any = group
    for arg in args:
        if not isinstance(current, TyperGroup) or arg.startswith("-"):
            break
        sub = current.get_command(ctx, arg)
        if sub is None:
            break
        words.append(arg)
        current = sub
    return " ".join(words)


class Group(TyperGroup):
    """The root group of the ``lucidscore`` app: an interrupt of any command is said here, once."""

    # ``ctx``: Typer's own click ``Context`` (Typer carries its copy of click; its type is not public)
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta[_ARGS] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            signum = signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT
            args: list[str] = ctx.meta.get(_ARGS, [])
            found = getattr(exc, _LEDGER, None)
            tell(signum, _path(self, ctx, args), args, found if isinstance(found, Ledger) else Ledger())
            raise typer.Exit(128 + signum) from None
