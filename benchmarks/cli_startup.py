"""How long `orbench --help` takes against a minimal typer app's `--help` (same interpreter, same
typer and rich). Prints a table; the issue's bar is at most 2x the minimal app.

    .venv/bin/python benchmarks/cli_startup.py --repeats 15
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MINIMAL = '''import typer
app = typer.Typer(rich_markup_mode="markdown")
@app.command()
def hello(name: str = "x"):
    """Say hello."""
@app.command()
def bye():
    """Say bye."""
app()
'''


def timed(cmd: list[str], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        out.append(time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    orbench = shutil.which("orbench", path=str(Path(sys.executable).parent)) or "orbench"
    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal.py"
        minimal.write_text(MINIMAL)
        rows = {"minimal typer app --help": timed([sys.executable, str(minimal), "--help"], args.repeats),
                "minimal typer app hello --help": timed([sys.executable, str(minimal), "hello", "--help"], args.repeats),
                "orbench --help": timed([orbench, "--help"], args.repeats),
                "orbench run --help": timed([orbench, "run", "--help"], args.repeats)}
    base = statistics.median(rows["minimal typer app --help"])
    print(f"{'':32}{'median s':>10}{'min s':>8}{'vs minimal':>12}   ({args.repeats} runs each)")
    for name, values in rows.items():
        print(f"{name:32}{statistics.median(values):>10.3f}{min(values):>8.3f}{statistics.median(values) / base:>11.2f}x")


if __name__ == "__main__":
    main()
