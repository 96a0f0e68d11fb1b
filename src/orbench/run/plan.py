"""The plan of a run: which requests it makes (suite x item x sample, seeded), and `plan.json`,
the record of that plan that resume and `orbench merge` check against."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from ..backends import GenerationRequest
from ..errors import OrbenchError
from ..store.catalog import Generation
from ..grading.sandbox import Limits
from ..suites import Suite, prompt_set_hash, refuse_duplicate_names, select
from ..suites.items import Item
from .settings import PLAN_KEYS, RunOptions, flags, field_type

if TYPE_CHECKING:
    from pathlib import Path

PLAN_VERSION = 1


class _PlanHead(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(default=PLAN_VERSION, description="version of this file's layout")
    model: str = Field(description="catalog name or file stem of the model")
    quant: str | None = Field(description="quant label, e.g. Q4_K_M")
    sha256: str | None = Field(description="sha256 of the model file (None for the mock backend)")


def _recorded(base: type[BaseModel], *names: str, since_v1: bool = False) -> Any:
    """`base` with plan.json's fields for these run settings, made from their declaration in
    run/settings.py (type, bounds, and `record=` as the description), in this order. Settings
    recorded `since_v1` (added after plan.json's first layout) default to the setting's default,
    which is what a run of an older orbench used."""
    fields: dict[str, Any] = {}
    for f, flag in flags():
        if f.name in names and flag.record is not None:
            default = f.default if since_v1 else ...
            fields[f.name] = (field_type(f), Field(default, ge=flag.low, le=flag.high, description=flag.record))
    return create_model(f"{base.__name__}Settings", __base__=base, **{name: fields[name] for name in names})


# plan.json's keys stay where they have always been: the head, seed/samples/limit, the sampler and the
# suites, the shard, the request count and the overrides, then the grading protocol. Type checkers see the classes without the
# settings' fields; those are read through Plan.options(), typed there.
if TYPE_CHECKING:
    _HeadAndRun = _PlanHead
else:
    _HeadAndRun = _recorded(_PlanHead, "seed", "samples", "limit")


class _PlanBody(_HeadAndRun):
    sampler: Generation = Field(description="generation settings every request uses")
    suites: dict[str, str] = Field(description="suite name -> prompt-set hash of its selected items")


if TYPE_CHECKING:
    _BodyAndShard = _PlanBody
else:
    _BodyAndShard = _recorded(_PlanBody, "shard")


class _PlanTail(_BodyAndShard):
    requests: int = Field(ge=0, description="requests in this shard")
    overrides: dict[str, Any] = Field(default={}, description="settings of this plan given on the command line "
                                      "over the config's (`orbench run --config ... --limit 2`)")


if TYPE_CHECKING:
    _TailAndGrading = _PlanTail
else:
    _TailAndGrading = _recorded(_PlanTail, "grading", since_v1=True)


class Plan(_TailAndGrading):
    """`plan.json`: what makes two runs the same plan; a resumed run must match it exactly."""

    @classmethod
    def of(cls, options: RunOptions, **fields: Any) -> "Plan":
        """The plan of a run with these options: the settings it records are taken from them, except
        where `fields` gives one (the shard a run was started with)."""
        recorded = {f.name: getattr(options, f.name) for f, flag in flags() if flag.record is not None}
        return cls(**{**recorded, **fields})

    def options(self) -> RunOptions:
        """The run settings this plan records, as options (the rest at their defaults)."""
        return RunOptions(**{f.name: getattr(self, f.name) for f, flag in flags() if flag.record is not None})

    @field_validator("shard")
    @classmethod
    def _shard_in_range(cls, shard: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= shard[0] <= shard[1]:
            raise ValueError(f"shard {shard[0]} of {shard[1]} does not exist")
        return shard

    def differences(self, other: "Plan") -> list[str]:
        """The fields in which `other` differs from this plan."""
        mine, theirs = self.model_dump(mode="json"), other.model_dump(mode="json")
        return sorted(k for k in mine if mine[k] != theirs.get(k))

    def same_plan_as(self, other: "Plan") -> bool:
        """True if both are shards of one plan (everything but the shard and its request count equal)."""
        return not [k for k in self.differences(other) if k not in ("shard", "requests")]


@dataclass
class RunSpec:
    """What to run: the loaded suites, the generation settings and the run's options, independent of
    the model file; `folder` is where the run writes."""

    suites: list[Suite]
    generation: Generation
    options: RunOptions = field(default_factory=RunOptions)
    folder: "Path | None" = None
    limits: Limits | None = None  # per-program limits (default: the standard ones, isolated as options.sandbox)

    @property
    def sandbox(self) -> Limits:
        return self.limits if self.limits is not None else Limits(isolation=self.options.sandbox)

    @property
    def window(self) -> str | None:
        since, until = self.options.since, self.options.until
        return f"{since or '…'} to {until or '…'}" if since or until else None


@dataclass
class SuitePlan:
    """One suite's share of a plan: its selected items and this shard's requests."""

    suite: Suite
    items: list[Item]
    requests: list[GenerationRequest]

    @property
    def item_by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}


def sample_seed(seed: int, item_id: str, sample: int) -> int:
    """A per-sample seed that depends only on the run seed, the item and the sample index."""
    digest = hashlib.sha256(f"{seed}:{item_id}:{sample}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def build_requests(suite: Suite, items: list[Item], spec: RunSpec) -> list[GenerationRequest]:
    g = spec.generation
    return [
        GenerationRequest(
            id=f"{suite.name}/{item.id}#{k}", item_id=item.id, sample=k, messages=suite.render(item, g),
            max_tokens=g.max_tokens, temperature=g.temperature, top_p=g.top_p, top_k=g.top_k,
            min_p=g.min_p, repeat_penalty=g.repeat_penalty, seed=sample_seed(spec.options.seed, item.id, k),
        )
        for item in items
        for k in range(spec.options.samples)
    ]


def shard_slice(requests: list[GenerationRequest], shard: tuple[int, int]) -> list[GenerationRequest]:
    """Shard I of N: every N-th request of the plan, starting at the I-th (1-based)."""
    index, count = shard
    return requests if count == 1 else requests[index - 1::count]


def make_plan(spec: RunSpec, model: str, quant: str | None, sha256: str | None,
              shard: tuple[int, int] = (1, 1)) -> tuple[Plan, list[SuitePlan]]:
    """Select each suite's items, build this shard's requests, and the plan that records them."""
    refuse_duplicate_names(spec.suites)
    parts = []
    for suite in spec.suites:
        opts = spec.options
        items = select(suite.load(opts.seed), opts.limit, opts.seed)
        if not items:
            raise OrbenchError(f"suite '{suite.name}' has no items", hint="check its file or folder")
        parts.append(SuitePlan(suite, items, shard_slice(build_requests(suite, items, spec), shard)))
    plan = Plan.of(spec.options, model=model, quant=quant, sha256=sha256, sampler=spec.generation,
                   suites={p.suite.name: prompt_set_hash(p.items) for p in parts}, shard=shard,
                   requests=sum(len(p.requests) for p in parts),
                   overrides={k: v for k, v in spec.options.overrides.items() if k in PLAN_KEYS})
    return plan, parts
