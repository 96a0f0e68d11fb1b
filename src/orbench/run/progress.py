"""Progress reporting: a rich bar on a terminal, plain lines elsewhere, nothing when asked."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from rich.progress import TaskID


class Progress(Protocol):
    def note(self, text: str) -> None: ...  # one line before the work starts (the plan, the settings)

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
        self._task: TaskID | None = None
        self._stream = stream

    def note(self, text: str) -> None:
        print(text, file=self._stream, flush=True)

    def start(self, label: str, total: int) -> None:
        if self._task is None:
            self._bar.start()
        self._task = self._bar.add_task(label, total=total, acc="-", tps="-")

    def update(self, done: int, correct: int, scored: int, tokens_per_s: float | None, last: str) -> None:
        tps = f"{tokens_per_s:.1f}" if tokens_per_s else "-"
        if self._task is None:
            return
        self._bar.update(self._task, completed=done, acc=_accuracy(correct, scored), tps=tps)

    def stop(self) -> None:
        self._bar.stop()


class PlainProgress:
    """One line per finished sample, for logs and pipes."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.label, self.total = "", 0

    def note(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def start(self, label: str, total: int) -> None:
        self.label, self.total = label, total

    def update(self, done: int, correct: int, scored: int, tokens_per_s: float | None, last: str) -> None:
        tps = f"{tokens_per_s:.1f} tok/s" if tokens_per_s else "- tok/s"
        print(f"[{self.label} {done}/{self.total}] {last} | acc {_accuracy(correct, scored)} | {tps}",
              file=self.stream, flush=True)

    def stop(self) -> None:
        pass


class NoProgress:
    def note(self, text: str) -> None:
        pass

    def start(self, label: str, total: int) -> None:
        pass

    def update(self, done: int, correct: int, scored: int, tokens_per_s: float | None, last: str) -> None:
        pass

    def stop(self) -> None:
        pass


class Tee:
    """Report to several progress sinks at once (the terminal and the run's log file)."""

    def __init__(self, *sinks: Progress):
        self.sinks = sinks

    def note(self, text: str) -> None:
        for s in self.sinks:
            s.note(text)

    def start(self, label: str, total: int) -> None:
        for s in self.sinks:
            s.start(label, total)

    def update(self, done: int, correct: int, scored: int, tokens_per_s: float | None, last: str) -> None:
        for s in self.sinks:
            s.update(done, correct, scored, tokens_per_s, last)

    def stop(self) -> None:
        for s in self.sinks:
            s.stop()


class LogFile(PlainProgress):
    """Plain progress lines appended to a file (`run.log`), kept across resumed runs."""

    def __init__(self, path: Path):
        super().__init__(open(path, "a", encoding="utf-8"))

    def stop(self) -> None:
        self.stream.close()


def make_progress(stream: TextIO | None = None, quiet: bool = False, log_file: Path | None = None) -> Progress:
    stream = stream or sys.stderr
    screen: Progress = NoProgress() if quiet else RichProgress(stream) if stream.isatty() else PlainProgress(stream)
    return Tee(screen, LogFile(log_file)) if log_file else screen
