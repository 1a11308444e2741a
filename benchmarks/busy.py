"""Keep every core busy with CPU-bound processes, to check that something holds on a loaded machine.

    .venv/bin/python -m benchmarks.busy [--per-core 1] [--seconds 0] -- COMMAND...

Starts ``--per-core`` processes per core, each spinning in a Python loop at normal priority (the same as the
command's), runs COMMAND, stops them, and exits with COMMAND's code. Without COMMAND it spins for ``--seconds``
(0: until interrupted). ``make test`` passing three times in a row under it is how the test suite is checked
against a busy machine (docs/BENCHMARKS.md, "Tests on a busy machine").
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

SPIN = "while True: pass"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-core", type=int, default=1, help="spinning processes per core (default 1)")
    parser.add_argument("--seconds", type=float, default=0.0, help="without a command: how long (0: until Ctrl-C)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run meanwhile (after --)")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    cores = len(os.sched_getaffinity(0))
    spinners = [
        subprocess.Popen([sys.executable, "-c", SPIN], stdin=subprocess.DEVNULL) for _ in range(args.per_core * cores)
    ]
    print(f"benchmarks.busy: {len(spinners)} spinning processes on {cores} cores", file=sys.stderr)
    try:
        if command:
            return subprocess.call(command)
        deadline = time.monotonic() + args.seconds if args.seconds else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.5)
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        for process in spinners:
            process.kill()
        for process in spinners:
            process.wait()


if __name__ == "__main__":
    sys.exit(main())
