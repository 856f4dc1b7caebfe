"""Which evaluator scores answers: ONE choice, used by the app, every CLI command and the benchmarks.

The embedded backend reads (evaluation/reader.py) when a head trained for its model file and the
reader's prompt ships and `INTERVIEWER_EVALUATOR_READER` is not 0; everything else (OpenAI,
any OpenAI-compatible server, another GGUF) gets the generative judge (evaluation/evaluator.py),
which keeps the same Evaluation format. `Evaluation.scorer` records which one scored.
"""

from __future__ import annotations

from collections.abc import Iterable

from interviewer.config import Backend
from interviewer.evaluation import evaluator, reader
from interviewer.evaluation.evaluator import AnswerEvaluator
from interviewer.evaluation.reader import HttpStates, ReaderEvaluator, reader_if_trained
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


def make_evaluator(runtime: LLMRuntime, *, max_tokens: int | None = None, timeout: float | None = 180.0) -> Evaluator:
    """The reader on the embedded backend when it can, else the judge (temperature 0)."""
    settings = runtime.settings
    check = runtime.model_check
    if settings.backend is Backend.LOCAL and settings.evaluator_reader and check is not None:
        # A paused evaluator sends no byte (llm/scheduler.py): the read timeout must outlast a pause.
        pause = runtime.foreground.max_pause if runtime.foreground is not None else 0.0
        source = HttpStates(runtime.base_url(Role.EVALUATOR) or "", settings.request_timeout + pause,
                            runtime.guard(Role.EVALUATOR))
        reader = reader_if_trained(source, check.sha256)
        if reader is not None:
            return reader
    model = runtime.chat_model(Role.EVALUATOR, temperature=0, max_tokens=max_tokens)
    return AnswerEvaluator(model, timeout=timeout, top_logprobs=runtime.evaluator_top_logprobs)
