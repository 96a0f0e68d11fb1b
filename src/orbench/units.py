"""Small shared helpers for numbers and lists as people write and read them."""

from __future__ import annotations


def split_csv(text: str | list[str] | None) -> list[str]:
    """`"a, b,,a"` -> `["a", "b"]`: comma-separated values, stripped, empties and repeats dropped.
    A list (e.g. a repeated option) is split item by item."""
    parts = text if isinstance(text, list) else [text or ""]
    return list(dict.fromkeys(v for part in parts for v in (x.strip() for x in part.split(",")) if v))


def did_you_mean(name: str, known: "list[str] | tuple[str, ...]") -> str:
    """`did you mean 'math'? ` for a near miss among `known` (case-insensitive), else ''."""
    import difflib

    lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.6)
    return f"did you mean '{lower[close[0]]}'? " if close else ""


def shorten(text: str, limit: int = 200) -> str:
    """The first line of `text`, cut at a word boundary to at most `limit` characters (with "…")."""
    line = (text.strip().splitlines() or [""])[0]
    if len(line) <= limit:
        return line
    cut = line[:limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def tokens_per_s(tokens: float, seconds: float | None) -> float | None:
    """Tokens per second, rounded to 0.01; None when no time was measured."""
    return round(tokens / seconds, 2) if seconds else None


def duration(seconds: float | None) -> str:
    """3m05s, 2h07m, or - when not measured."""
    if seconds is None:
        return "-"
    minutes, sec = divmod(round(seconds), 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m{sec:02d}s"


def human_size(size: float | None) -> str:
    if size is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return str(size)


class Eta:
    """Progress of a long command and the time left at the rate so far: `tick` returns a line such
    as `kld: 12/60 chunks (20%), 0m40s so far, about 2m40s left` at most every `every` seconds (and
    always at the end), else None."""

    def __init__(self, what: str, total: float, unit: str = "", every: float = 5.0):
        import time

        self.what, self.total, self.unit, self.every = what, total, unit, every
        self.done = 0.0
        self.started = self.last = time.perf_counter()

    def tick(self, amount: float = 1.0) -> str | None:
        import time

        self.done += amount
        now = time.perf_counter()
        if now - self.last < self.every and self.done < self.total:
            return None
        self.last = now
        return self.line(now - self.started)

    def line(self, elapsed: float) -> str:
        share = self.done / self.total if self.total else 1.0
        left = elapsed / self.done * (self.total - self.done) if self.done else None
        unit = f" {self.unit}" if self.unit else ""
        text = f"{self.what}: {self.done:g}/{self.total:g}{unit} ({share:.0%}), {duration(elapsed)} so far"
        return text + (f", about {duration(left)} left" if left and self.done < self.total else "")
