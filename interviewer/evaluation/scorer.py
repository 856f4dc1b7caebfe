"""Which evaluator scores answers: ONE choice, used by the app, every CLI command and the benchmarks.

The embedded backend reads (evaluation/reader.py) when a head trained for its model file and the
reader's prompt ships and `INTERVIEWER_EVALUATOR_READER` is not 0; everything else (OpenAI,
any OpenAI-compatible server, another GGUF) gets the generative judge (evaluation/evaluator.py),
which keeps the same Evaluation format. `Evaluation.scorer` records which one scored.
"""

from __future__ import annotations

from collections.abc import Iterable

from interviewer.config import Backend, Settings
from interviewer.evaluation import evaluator, reader
from interviewer.evaluation.evaluator import AnswerEvaluator
from interviewer.evaluation.reader import HttpStates, ReaderEvaluator, load_reader_prompt
from interviewer.evaluation.aim_head import AimHead, load_aim_head
from interviewer.evaluation.reader_head import Head, load_head
from interviewer.llm.provider import LLMRuntime, Role

Evaluator = AnswerEvaluator | ReaderEvaluator

# What the report says about each scorer (Evaluation.scorer).
SCORER_NOTES = {
    reader.SCORER: "Scored by the reader: a head trained on the embedded model's own reading of each answer "
                   "(no generated text); the quotes are the sentences that moved each score most.",
    evaluator.SCORER: "Scored by the judge: the model answered yes/no checks citing your sentences, and code "
                      "turned the verified checks into scores.",
}


def scorer_notes(scorers: Iterable[str | None]) -> list[str]:
    """One line per scorer that scored these answers (sessions saved before it was recorded: none)."""
    return [SCORER_NOTES.get(name, f"Scored by: {name}.") for name in sorted({s for s in scorers if s})]


def reader_head_for(settings: Settings, model_sha256: str | None) -> Head | None:
    """The head the reader would score with, or None when the judge scores (a remote backend,
    the reader switched off, or no head trained for this model file and reader prompt)."""
    if settings.backend is not Backend.LOCAL or not settings.evaluator_reader or not model_sha256:
        return None
    head = load_head()
    if head is None or not head.matches(load_reader_prompt().sha256, model_sha256):
        return None
    return head


def aim_head_for(head: Head) -> AimHead | None:
    """The grader-aim probe trained for the same prompt and model file as `head`, if one ships."""
    aim = load_aim_head()
    return aim if aim is not None and aim.matches(head.prompt_sha256, head.model_sha256) else None


def describe(settings: Settings, model_sha256: str | None) -> str:
    """One line for `interviewer doctor`."""
    if reader_head_for(settings, model_sha256) is not None:
        return "reader (a head trained for this model reads each answer; no generated text)"
    if settings.backend is Backend.LOCAL and settings.evaluator_reader:
        return "judge (no reader head is trained for this model file)"
    return "judge (generative yes/no checks)"


def make_evaluator(runtime: LLMRuntime, *, max_tokens: int | None = None, timeout: float | None = 180.0) -> Evaluator:
    """The reader on the embedded backend when it can, else the judge (temperature 0)."""
    settings = runtime.settings
    check = runtime.model_check
    head = reader_head_for(settings, check.sha256 if check is not None else None)
    if head is not None:
        # A paused evaluator sends no byte (llm/scheduler.py): the read timeout must outlast a pause.
        pause = runtime.foreground.max_pause if runtime.foreground is not None else 0.0
        source = HttpStates(runtime.base_url(Role.EVALUATOR) or "", settings.request_timeout + pause,
                            runtime.guard(Role.EVALUATOR))
        return ReaderEvaluator(source, head, aim=aim_head_for(head))
    model = runtime.chat_model(Role.EVALUATOR, temperature=0, max_tokens=max_tokens)
    return AnswerEvaluator(model, timeout=timeout, top_logprobs=runtime.evaluator_top_logprobs)
