"""Appending text that talks to the grader can never raise a score, by construction (issue 13
item 4), and the detector runs once per answer. Fake, function-backed judges only; the measured
numbers on the real model are in benchmarks/evaluator.md (bench_injection_gains.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage

from interviewer.evaluation import injection
from interviewer.evaluation.evaluator import AnswerEvaluator
from interviewer.evaluation.rubric import load_rubric
from interviewer.testing.chat_model import FunctionChatModel

ROOT = Path(__file__).resolve().parent.parent
CHECK_IDS = [c.id for c in load_rubric().checks]
ANSWER = (
    "The nightly import failed twice a week. I read the logs and saw it timed out because the "
    "supplier file had doubled in size. I split the import into batches of ten thousand rows and "
    "it has not failed since. I learned to alert on input size, not only on failures."
)
QUESTION = "Tell me about a bug you fixed."


def _reply(messages: Sequence[BaseMessage]) -> AIMessage:
    del messages
    args: dict[str, Any] = {c: [] for c in CHECK_IDS}
    return AIMessage(content="", tool_calls=[{"name": "record_checks", "args": args, "id": "c"}])


def _texts() -> list[str]:
    """Every answer the repository's data sets hold, plain and with its injection."""
    out: list[str] = []
    files = sorted((ROOT / "benchmarks" / "data").rglob("*.jsonl")) + [ROOT / "tests" / "data" / "evaluator_pairs.jsonl"]
    for path in files:
        for line in path.read_text().splitlines():
            row = json.loads(line) if line.strip() else {}
            out += [row[k] for k in ("answer", "better", "worse") if k in row]
            if "injection" in row:
                out += [f"{row['answer']} {row['injection']}", f"{row['answer']}\n\n{row['injection']}"]
    return out


def test_the_detector_reads_the_tidied_answer_as_it_read_the_raw_one() -> None:
    """The chain scans the tidied answer once (it used to scan the raw one and the tidied one):
    on every answer in the data sets both give the same flag."""
    assert all(injection.scan(t).found == injection.scan(injection.tidy(t)).found for t in _texts())


async def test_the_detector_runs_once_for_an_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = injection.scan

    def counting(text: str) -> injection.InjectionScan:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(injection, "scan", counting)
    result = await AnswerEvaluator(FunctionChatModel(replies=[], default=_reply)).evaluate(QUESTION, ANSWER)
    assert result.honesty is not None
    assert calls == [ANSWER]
