"""The evaluator's rubric as a validated data file (prompts/rubric.yaml).

The rubric holds what a 1, 3 and 5 answer does per dimension (shown in reports), the yes/no checks
the model answers, and the weighted criteria code uses to turn checks + text signals into a score.
Keeping it as data means the scoring is inspectable and changeable without touching code, and a
typo fails at load time with the file and field named, not halfway through an interview.
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from interviewer.resources import prompts_dir
from interviewer.session import Dimension
from interviewer.evaluation.signals import SIGNAL_NAMES

RUBRIC_PATH = prompts_dir() / "rubric.yaml"
FLAG_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_SIGNAL_PULL = 1.0  # a rounded 1-5 score moves a full step only with more than one piece of evidence


class RubricError(ValueError):
    """The rubric file is malformed; the message names the file and the field."""


class CombineMode(str, Enum):
    """How one criterion's evidence combines the model's yes/no check and the code signal.

    signal: the text signal alone; model: the model's check alone (signal-only criteria still
    count); average: mean of both (each 0 or 1, so 0, 0.5 or 1); either: max; both: min.
    """

    SIGNAL = "signal"
    MODEL = "model"
    AVERAGE = "average"
    EITHER = "either"
    BOTH = "both"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Check(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z_]*$")
    dimension: Dimension
    question: str = Field(min_length=10)


class Criterion(_Strict):
    check: str | None = None
    signal: str | None = None
    weight: float
    met: str = Field(min_length=3)  # phrase for the rationale when the evidence is there
    missing: str = Field(min_length=3)  # ... and when it is not

    @model_validator(mode="after")
    def _needs_evidence(self) -> "Criterion":
        if self.check is None and self.signal is None:
            raise ValueError("a criterion needs a check, a signal, or both")
        if self.weight == 0:
            raise ValueError("weight 0 does nothing; remove the criterion instead")
        return self

    @field_validator("signal")
    @classmethod
    def _known_signal(cls, value: str | None) -> str | None:
        if value is not None and value not in SIGNAL_NAMES:
            raise ValueError(f"unknown signal {value!r}; known: {sorted(SIGNAL_NAMES)}")
        return value


class DimensionRubric(_Strict):
    title: str
    anchors: dict[Literal[1, 3, 5], str]
    base: float = Field(ge=0, le=5)
    criteria: list[Criterion] = Field(min_length=1)

    @field_validator("anchors")
    @classmethod
    def _all_anchors(cls, value: dict[int, str]) -> dict[int, str]:
        missing = {1, 3, 5} - value.keys()
        if missing:
            raise ValueError(f"anchors for levels {sorted(missing)} are missing")
        return value

    def level_description(self, score: int) -> str:
        """The anchor text for a score; 2 and 4 sit between two anchors."""
        if score in self.anchors:
            return self.anchors[score]
        low, high = score - 1, score + 1
        return f"Between {low} and {high}: {self.anchors[high]}"  # type: ignore[index]


class Rubric(_Strict):
    version: int
    combine: CombineMode = CombineMode.AVERAGE
    injection_honesty_penalty: int = Field(default=1, ge=0, le=4)
    dimensions: dict[Dimension, DimensionRubric]
    checks: list[Check] = Field(min_length=1)
    flags: dict[str, str]

    @model_validator(mode="after")
    def _consistent(self) -> "Rubric":
        missing = set(Dimension) - self.dimensions.keys()
        if missing:
            raise ValueError(f"dimensions missing: {sorted(d.value for d in missing)}")
        ids = [c.id for c in self.checks]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate check ids: {sorted(dupes)}")
        known = set(ids)
        for dim, spec in self.dimensions.items():
            for n, crit in enumerate(spec.criteria):
                if crit.check is not None and crit.check not in known:
                    raise ValueError(
                        f"dimensions.{dim.value}.criteria.{n}.check: unknown check {crit.check!r}"
                    )
        for dim, spec in self.dimensions.items():
            # No single lexical rule may decide a dimension on its own: one signal may move the
            # raw score by less than a full point (half a criterion's weight when the model's
            # check shares it), so it changes a score only together with other evidence.
            pull: dict[str, float] = {}
            for crit in spec.criteria:
                if crit.signal:
                    share = 0.5 if crit.check and self.combine is CombineMode.AVERAGE else 1.0
                    pull[crit.signal] = pull.get(crit.signal, 0.0) + abs(crit.weight) * share
            loud = {name: value for name, value in pull.items() if value >= MAX_SIGNAL_PULL}
            if loud:
                raise ValueError(
                    f"dimensions.{dim.value}: signal(s) {sorted(loud)} could decide the score alone "
                    f"(pull {max(loud.values())} >= {MAX_SIGNAL_PULL})"
                )
        bad = [name for name in self.flags if not FLAG_NAME.match(name)]
        if bad:
            raise ValueError(f"flag names must be snake_case: {bad}")
        return self

    def dimension(self, dim: Dimension | str) -> DimensionRubric:
        return self.dimensions[Dimension(dim)]


def _format_error(path: Path, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        parts.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
    return f"{path}: " + "; ".join(parts)


def parse_rubric(path: Path) -> Rubric:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RubricError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise RubricError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RubricError(f"{path}: must be a mapping at the top level")
    try:
        return Rubric.model_validate(data)
    except ValidationError as exc:
        raise RubricError(_format_error(path, exc)) from None


@lru_cache(maxsize=8)
def load_rubric(path: Path = RUBRIC_PATH) -> Rubric:
    return parse_rubric(path)
