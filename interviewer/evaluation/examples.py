"""The judge's worked examples (prompts/evaluator_examples.yaml), validated and rendered.

They form the anchored few-shot block at the start of the judge's prompt: fixed text, so the
server reads it once and serves it from its prefix cache afterwards. Each example is numbered by
the same code as a real answer and followed by the exact reply format the judge must produce, so
the model copies a shape it has just seen instead of inventing one.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interviewer.evaluation import evidence
from interviewer.evaluation.rubric import Rubric
from interviewer.resources import prompts_dir

EXAMPLES_PATH = prompts_dir() / "evaluator_examples.yaml"


class ExamplesError(ValueError):
    """The examples file is malformed; the message names the file and the example."""


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    question: str = Field(min_length=5)
    answer: str = Field(min_length=20)
    evidence: dict[str, list[int]]


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    examples: list[Example] = Field(min_length=1)


def reply_json(cited: dict[str, list[int]], rubric: Rubric) -> str:
    """The reply in the tool's field order, as JSON. (A variant with spaceless JSON, at most three
    numbers per check and a fifth example did worse on the tune split: the embedded model copied
    the examples' numbers and stopped citing limits; benchmarks/evaluator.md.)"""
    return json.dumps({c.id: cited[c.id] for c in rubric.checks}, separators=(", ", ": "))


def load_examples(rubric: Rubric, path: Path = EXAMPLES_PATH) -> tuple[Example, ...]:
    """The examples, checked against the rubric: every check answered, no unknown check, and every
    number a sentence of its own example (as the live splitter numbers it)."""
    try:
        parsed = _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ExamplesError(f"{path}: {exc}") from None
    ids = {c.id for c in rubric.checks}
    for n, ex in enumerate(parsed.examples):
        if set(ex.evidence) != ids:
            raise ExamplesError(
                f"{path}: examples.{n}.evidence: missing {sorted(ids - set(ex.evidence))}, "
                f"unknown {sorted(set(ex.evidence) - ids)}"
            )
        count = len(evidence.number(ex.answer).spans)
        for cid, nums in ex.evidence.items():
            if any(not 1 <= k <= count for k in nums):
                raise ExamplesError(f"{path}: examples.{n}.evidence.{cid}: {nums} (the answer has {count} sentences)")
    return tuple(parsed.examples)


def render_examples(rubric: Rubric, path: Path = EXAMPLES_PATH) -> str:
    """The few-shot block as it appears in the judge's fixed prompt."""
    blocks = []
    for n, ex in enumerate(load_examples(rubric, path), 1):
        blocks.append(
            f"Example {n}. Question: {ex.question}\n"
            f"{evidence.number(ex.answer).render()}\n"
            f"Reply: {reply_json(ex.evidence, rubric)}"
        )
    return "\n\n".join(blocks)
