"""Run a command and report the CPU seconds of its whole process tree, on stderr.

``/usr/bin/time`` counts only the processes a command waits for: a Spark test's JVM (started by py4j and
never reaped by the test process) and its Python workers are missing from it. This polls /proc every
0.25 s and sums each process's own user+system time as last seen (a process born and gone between two
polls is missed: Spark's workers are long-lived). Usage: ``python3 benchmarks/tree_cpu.py COMMAND...``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, own CPU seconds) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(rest[1]), (int(rest[11]) + int(rest[12])) / TICK


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline") as f:
            return f.read().replace("\0", " ")[:60]
    except OSError:
        return str(pid)


def main(argv: list[str]) -> int:
    proc = subprocess.Popen(argv)
    seen: dict[int, float] = {}
    names: dict[int, str] = {}
    start = time.time()
    while proc.poll() is None:
        every = {pid: st for pid in map(int, filter(str.isdigit, os.listdir("/proc"))) if (st := _stat(pid))}
        tree = {proc.pid}
        grown = True
        while grown:
            grown = False
            for pid, (parent, _) in every.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    grown = True
        for pid in tree & every.keys():
            seen[pid] = every[pid][1]
            names.setdefault(pid, _command(pid))
        time.sleep(0.25)
    for pid, cpu in sorted(seen.items(), key=lambda pc: -pc[1])[:6]:
        print(f"  {cpu:6.1f}s {names[pid]}", file=sys.stderr)
    print(
        f"TREECPU wall {time.time() - start:.1f}s cpu {sum(seen.values()):.1f}s over {len(seen)} processes; "
        f"load average at the end {os.getloadavg()}",
        file=sys.stderr,
    )
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
