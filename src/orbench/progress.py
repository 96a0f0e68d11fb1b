"""Progress reporting: a rich bar on a terminal, plain lines elsewhere, nothing when asked."""

from __future__ import annotations

import sys
from typing import Protocol, TextIO


class Progress(Protocol):
    def start(self, label: str, total: int) -> None: ...

    def update(self, done: int, correct: int, scored: int, tokens_per_s: float | None, last: str) -> None: ...

    def stop(self) -> None: ...


def _accuracy(correct: int, scored: int) -> str:
    return f"{correct / scored:.0%}" if scored else "-"


class RichProgress:
    def __init__(self, stream: TextIO):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("acc {task.fields[acc]}"), TextColumn("{task.fields[tps]} tok/s"),
            TimeElapsedColumn(), console=Console(file=stream), transient=False,
        )
        self._task = None

    def start(self, label: str, total: int) -> None:
        if self._task is None:
            self._bar.start()
        self._task = self._bar.add_task(label, total=total, acc="-", tps="-")

    def update(self, done: int, correct: int, scored: int, tokens_per_s: float | None, last: str) -> None:
        tps = f"{tokens_per_s:.1f}" if tokens_per_s else "-"
        self._bar.update(self._task, completed=done, acc=_accuracy(correct, scored), tps=tps)

    def stop(self) -> None:
        self._bar.stop()


class PlainProgress:
    """One line per finished sample, for logs and pipes."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.label, self.total = "", 0

    def start(self, label: str, total: int) -> None:
        self.label, self.total = label, total

    def update(self, done: int, correct: int, scored: int, tokens_per_s: float | None, last: str) -> None:
        tps = f"{tokens_per_s:.1f} tok/s" if tokens_per_s else "- tok/s"
        print(f"[{self.label} {done}/{self.total}] {last} | acc {_accuracy(correct, scored)} | {tps}",
              file=self.stream, flush=True)

    def stop(self) -> None:
        pass


class NoProgress:
    def start(self, label: str, total: int) -> None:
        pass

    def update(self, done: int, correct: int, scored: int, tokens_per_s: float | None, last: str) -> None:
        pass

    def stop(self) -> None:
        pass


def make_progress(stream: TextIO | None = None, quiet: bool = False) -> Progress:
    stream = stream or sys.stderr
    if quiet:
        return NoProgress()
    return RichProgress(stream) if stream.isatty() else PlainProgress(stream)
