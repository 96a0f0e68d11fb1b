"""Published scores (models/published/scores.toml) next to a run's own, with the protocol differences
spelled out, e.g. "published: 32768 max tokens, 64 samples; here: 4096 max tokens, 1 sample"."""

from __future__ import annotations

import tomllib

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import OrbenchError
from ..files import read_text
from ..paths import models_dir


class PublishedScore(BaseModel):
    """One published figure and how it was measured."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="catalog model name")
    benchmark: str = Field(description="orbench suite name")
    value: float = Field(description="percent")
    metric: str
    shots: int = 0
    temperature: float | None = None
    max_tokens: int | None = None
    samples: int | None = None
    samples_note: str | None = None
    note: str | None = None
    source: str


class Published(BaseModel):
    """A published figure as shown beside a suite's own: the score and what differs."""

    value: float
    metric: str
    source: str
    differences: list[str] = Field(description="protocol differences between the published figure and this run")


def load_scores() -> list[PublishedScore]:
    path = models_dir() / "published" / "scores.toml"
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(read_text(path))
        return [PublishedScore(**row) for row in data.get("score", [])]
    except (tomllib.TOMLDecodeError, ValidationError, TypeError) as exc:
        raise OrbenchError(f"{path}: {str(exc).splitlines()[0]}") from None


def published_for(model: str, suite: str, max_tokens: int, samples: int, since: str | None = None,
                  until: str | None = None) -> list[Published]:
    """The published figures of `model` on `suite`, each with how this run's protocol differs."""
    out = []
    for score in load_scores():
        if score.model.lower() != model.lower() or score.benchmark != suite:
            continue
        mine, theirs = [], []
        if score.max_tokens and score.max_tokens != max_tokens:
            theirs.append(f"{score.max_tokens} max tokens")
            mine.append(f"{max_tokens} max tokens")
        stated = score.samples_note or (f"{score.samples} samples" if score.samples else None)
        if stated and score.samples != samples:
            theirs.append(stated)
            mine.append(f"{samples} sample{'s' if samples != 1 else ''}")
        if score.shots:
            theirs.append(f"{score.shots}-shot")
            mine.append("0-shot")
        differences = ([f"published: {', '.join(theirs)}; here: {', '.join(mine)}"] if theirs else [])
        if score.note:
            differences.append(score.note + (f" (this run: {since or '…'} to {until or '…'})" if since or until else ""))
        out.append(Published(value=score.value, metric=score.metric, source=score.source, differences=differences))
    return out
