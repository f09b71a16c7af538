"""Cold start of the standalone program to its first pong (the program must be built:
``pyinstaller --noconfirm bridge/segue.spec``). Prints a markdown report; ``--write`` puts it
into docs/standalone.md between its markers.

    python benchmarks/standalone.py --program dist/segue/segue --write docs/standalone.md
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.launch import launch_until_pong  # noqa: E402
from benchmarks.markdown import machine, publish  # noqa: E402

START, END = "<!-- standalone:start -->", "<!-- standalone:end -->"


def cold_start(program: Path) -> float:
    """Seconds from launching ``program serve`` to its first pong."""
    process, _, seconds = launch_until_pong([str(program), "serve", "--no-midi"])
    process.terminate()
    process.wait()
    return seconds


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--program", type=Path, default=ROOT / "dist" / "segue" / "segue")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    times = [cold_start(args.program) for _ in range(args.runs)]
    size = sum(f.stat().st_size for f in args.program.parent.rglob("*") if f.is_file()) / 2**20
    text = (f"Measured {time.strftime('%Y-%m-%d')} on {machine()}, "
            f"with `python benchmarks/standalone.py --runs {args.runs}`: cold start of `dist/segue/segue serve` to "
            f"its first pong, median {np.median(times):.2f} s, worst {max(times):.2f} s over {args.runs} launches "
            f"(target ≤ 2 s); the folder is {size:.0f} MB.\n")
    publish(text, args.write, START, END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
