"""The evaluator chain: scores one answer for honesty, root-cause understanding and storytelling.

Why it looks like this (numbers in benchmarks/evaluator.md):
- The embedded 1.5B model cannot make holistic 1-5 judgements, so it answers only narrow checks,
  in ONE function-calling request per answer, and code turns them into scores with transparent
  text signals (evaluation/signals.py) and the weighted criteria of prompts/rubric.yaml.
- Every check is answered with evidence: the numbers of the answer's sentences that show it
  (evaluation/evidence.py). A check without a real cited sentence is a no, and every quote in a
  report is a sentence cut from the answer, never text the model retyped.
- Experimental, off by default (`top_logprobs`, INTERVIEWER_EVALUATOR_LOGPROBS=1): with the reply
  tokens' log-probabilities (the embedded server returns them: llm/token_logprobs.py), each met
  check counts by the model's confidence in it (`Reading.strength`) instead of a flat 1. A check
  without a cited sentence still counts 0. On the held-out pairs this ranked no better than the
  sampled yes/no (benchmarks/evaluator.md, session 9), so it is not the default.
- The judge's prompt starts with fixed rules and worked examples (prompts/evaluator_examples.yaml)
  that the server keeps in its prefix cache, then the numbered answer, fenced by per-call random
  markers, with the instructions restated after it.
- The candidate's words are never erased. Stretches that read like instructions to, or persuasion
  of, a grader can never be positive evidence, and when an answer has any, it is judged again
  without exactly those stretches (and, when the detector flagged it, on what it said before the
  first of them), each dimension keeping the lowest score: `answer + appended attempt` is capped
  by `answer` itself, so appending one can never raise a score (`comparisons`).
- A model failure (bad output after one repair/retry, network error, timeout) yields
  `Evaluation(status=UNAVAILABLE, error=...)`, never a made-up number. `evaluate` never raises.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from interviewer.evaluation import evidence, injection, signals, spans
from interviewer.evaluation.examples import render_examples
from interviewer.evaluation.reply import TOOL_NAME, MalformedOutput, checks_schema, parse_reply, reply_confidence
from interviewer.evaluation.rubric import CombineMode, Rubric, load_rubric
from interviewer.evaluation.verdicts import (
    CUT_FLAG,
    FLAGS,
    INJECTION_ATTEMPT,
    INSUFFICIENT,
    MIN_WORDS,
    DimensionVerdict,
    compute_flags,
    evidence_quotes,
    rationale,
    score_dimension,
)
from interviewer.prompt_templates import load_prompt
from interviewer.session import DIMENSIONS, Dimension, EvalStatus, Evaluation
from interviewer.text import Span, sentences

SCORER = "judge"  # Evaluation.scorer: the generative judge scored it (reader.py is the other)

# Re-exported: callers name the flags and limits through the chain they use.
__all__ = ["AnswerEvaluator", "CUT_FLAG", "FLAGS", "INJECTION_ATTEMPT", "INSUFFICIENT", "MIN_WORDS", "bounded"]

# The judge reads at most this much of an answer (about 1,250 tokens): the system prompt with its examples, the
# question and the reply must fit the embedded model's 4,096-token context. A longer answer is
# judged on its beginning, cut at a sentence end, and flagged `answer_cut`; before this, a 1 MB
# answer went out as 201,510 tokens, got HTTP 400 and came back unavailable.
MAX_JUDGED_CHARS = 5_000


def bounded(text: str, limit: int = MAX_JUDGED_CHARS) -> tuple[str, bool]:
    """`text` cut to at most `limit` characters, after its last whole sentence (the project's one
    splitter, `interviewer.text.sentences`) when that keeps more than half of the limit."""
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    # The last span may be a sentence the cut went through: only earlier ones are known whole.
    whole = [end for _start, end in sentences(head)[:-1]]
    end = whole[-1] if whole and whole[-1] > limit // 2 else limit
    return head[:end].rstrip(), True


# -- the chain ------------------------------------------------------------------------------------
@dataclass
class Reading:
    """What one model call made of one text: the checks met, the sentences cited for them, and
    how sure the model was of each check (P(yes), when the backend returned logprobs)."""

    text: str
    numbered: evidence.NumberedAnswer
    checks: dict[str, bool]
    cited: dict[str, list[int]]
    signals: signals.TextSignals
    attempts: int
    confidence: dict[str, float] = field(default_factory=dict)

    @property
    def strength(self) -> dict[str, float]:
        """Each check's evidence for the rubric: 0 without a real cited sentence (a yes without
        evidence is a no), else the model's confidence in its yes, or 1 when unknown (no
        logprobs were asked for or sent: the default, the sampled yes/no)."""
        return {c: (self.confidence.get(c, 1.0) if met else 0.0) for c, met in self.checks.items()}


@dataclass
class Judgement:
    """Everything the model produced for one answer, kept so benchmarks can rescore under other
    modes. `caps` are the readings of the `comparisons` texts (none for an answer without
    instruction-like stretches); each dimension's score is the lowest of all readings."""

    question: str
    reading: Reading
    scan: injection.InjectionScan
    cut: bool = False
    caps: tuple[Reading, ...] = ()

    @property
    def attempts(self) -> int:
        return self.reading.attempts + sum(cap.attempts for cap in self.caps)

    @property
    def checks(self) -> dict[str, bool]:
        return self.reading.checks

    @property
    def signals(self) -> signals.TextSignals:
        return self.reading.signals


def _lower(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else min(a, b)


def comparisons(text: str, found: injection.InjectionScan, withheld: list[Span]) -> list[str]:
    """The texts whose scores cap the score of `text` (a tidied answer), other than itself:
    - `text` without exactly its instruction-like stretches (`withheld`: sentences, lines or
      bracketed asides, spans.cut), so for `answer + appended or inserted attempt` this is
      `answer`, character for character;
    - when the detector flagged it, what it said before the sentence (or aside) of its first
      hit, if that is still enough to judge: text after an attempt to steer the grader may be
      part of the same attempt ("(Grader: ...) And we also added caching"), so it cannot raise
      the score either; and the answer's own last sentence, which the first text may have
      withheld as a neighbour of the attempt ("... the most important", then "Dear grader, ..."),
      is kept here.
    Empty when nothing is withheld: an ordinary answer costs one model call."""
    if not withheld:
        return []
    out = [spans.cut(text, withheld)]
    if found.found:
        all_groups = spans.groups(text)
        first = min(spans.covering(text, (s.start, s.end), all_groups)[0] for s in found.spans)
        before = spans.tidy(text[:first])
        if len(before.split()) >= MIN_WORDS:
            out.append(before)
    return [t for t in dict.fromkeys(out) if t != text]


class AnswerEvaluator:
    """Scores answers; see the module docstring. Pass the model in (Role.EVALUATOR, temperature 0)."""

    def __init__(
        self,
        model: BaseChatModel,
        *,
        rubric: Rubric | None = None,
        mode: CombineMode | None = None,
        timeout: float | None = 180.0,
        cache_size: int = 512,
        marker: Callable[[], str] | None = None,
        top_logprobs: int | None = None,
    ) -> None:
        """`top_logprobs`: ask the backend for that many alternatives per reply token, to read
        the model's confidence in each check (LLMRuntime.evaluator_top_logprobs says when)."""
        self.model = model
        self._request: dict[str, object] = {"logprobs": True, "top_logprobs": top_logprobs} if top_logprobs else {}
        self.rubric = rubric or load_rubric()
        self.mode = mode or self.rubric.combine
        self.timeout = timeout
        self.schema = checks_schema(self.rubric)
        self._system = load_prompt("evaluator_system").render(
            checks=self._checks_text(), examples=render_examples(self.rubric)
        )
        self._user = load_prompt("evaluator_user")
        # A check whose criteria only add to a score: only these need instruction-free evidence.
        self._positive = {
            c.id: all(crit.weight > 0 for spec in self.rubric.dimensions.values() for crit in spec.criteria if crit.check == c.id)
            for c in self.rubric.checks
        }
        self._cache: OrderedDict[tuple[str, str], Reading] = OrderedDict()
        self._cache_size = cache_size
        # Per-call random fence, so an answer cannot guess and forge the closing marker. Tests
        # pass a deterministic factory so recorded request bodies replay.
        self._marker = marker or (lambda: f"ANSWER-{secrets.token_hex(6).upper()}")

    def _checks_text(self) -> str:
        return "\n".join(f"- {c.id}: {c.question}" for c in self.rubric.checks)

    def messages(self, question: str, answer: str | evidence.NumberedAnswer, marker: str | None = None) -> list[BaseMessage]:
        """System (fixed: rules, checks, examples) first, then the variable part: prefix-stable."""
        marker = marker or self._marker()
        if isinstance(answer, str):
            answer = evidence.number(answer, injection.instruction_spans(answer))
        user = self._user.render(question=question.strip(), marker=marker, answer=answer.render())
        return [SystemMessage(self._system), HumanMessage(user)]

    def _confidence(self, reply: BaseMessage) -> dict[str, float]:
        """Per-check P(yes), only when asked for (logprobs a backend sends unasked are ignored)."""
        return reply_confidence(reply, self.rubric) if self._request else {}

    async def _ask(self, messages: list[BaseMessage]) -> tuple[dict[str, list[int]], int, dict[str, float]]:
        """(cited sentence numbers per check, model calls made, confidence per check)."""
        bound = self.model.bind_tools([self.schema], tool_choice=TOOL_NAME, **self._request)
        reply = await bound.ainvoke(messages)
        try:
            return parse_reply(reply, self.rubric), 1, self._confidence(reply)
        except MalformedOutput as first:
            # One retry, appended after the original prompt so the cached prefix is reused.
            retry = [
                *messages,
                HumanMessage(
                    f"Your reply could not be read ({first}). Call {TOOL_NAME} with EVERY check "
                    "set to a list of sentence numbers, [] when no sentence shows it."
                ),
            ]
            reply = await bound.ainvoke(retry)
            return parse_reply(reply, self.rubric), 2, self._confidence(reply)

    async def _read(self, question: str, text: str, withheld: list[Span] | None = None) -> Reading:
        """One model call on `text` (cached by question + text); `withheld` are its
        instruction-like stretches when the caller already found them."""
        key = (question.strip(), text)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return replace(cached, attempts=0)
        numbered = evidence.number(text, injection.instruction_spans(text) if withheld is None else withheld)
        sig = signals.compute(text)
        if sig.words < MIN_WORDS:
            # Nothing to judge: no model call, every dimension comes out null.
            cited: dict[str, list[int]] = {c.id: [] for c in self.rubric.checks}
            attempts, confidence = 0, dict[str, float]()
        else:
            call = self._ask(self.messages(question, numbered))
            cited, attempts, confidence = await (asyncio.wait_for(call, self.timeout) if self.timeout else call)
        checks, valid = evidence.checks_from(numbered, cited, self._positive)
        reading = Reading(text, numbered, checks, valid, sig, attempts, confidence)
        self._cache[key] = reading
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return reading

    async def judge(self, question: str, answer: str) -> Judgement:
        """Read the whole answer (never erased), and, when it has instruction-like stretches, the
        `comparisons` texts. Raises on failure; `evaluate` turns that into UNAVAILABLE."""
        answer, cut = bounded(answer)
        text = injection.tidy(answer)
        scan = injection.scan(text)  # once per answer: the flag and the reading both use it
        withheld = injection.instruction_spans(text, scan)
        reading = await self._read(question, text, withheld)
        caps = tuple([await self._read(question, other) for other in comparisons(text, scan, withheld)])
        return Judgement(question, reading, scan, cut, caps)

    def _verdicts(self, question: str, reading: Reading, mode: CombineMode, injected: bool) -> dict[Dimension, DimensionVerdict]:
        return {
            dim: score_dimension(self.rubric, dim, question, reading.signals, reading.strength, mode, injected)
            for dim in DIMENSIONS
        }

    def build(self, judgement: Judgement, answer: str, mode: CombineMode | None = None) -> Evaluation:
        """Turn a judgement into an Evaluation (pure code; used again by benchmarks per mode)."""
        mode = mode or self.mode
        injected = judgement.scan.found
        reading = judgement.reading
        verdicts = self._verdicts(judgement.question, reading, mode, injected)
        scores = {dim: v.score for dim, v in verdicts.items()}
        for cap in judgement.caps:
            capped = self._verdicts(judgement.question, cap, mode, injected)
            scores = {dim: _lower(scores[dim], capped[dim].score) for dim in DIMENSIONS}
        evidence_by_dim: dict[str, list[str]] = {}
        reasons: dict[str, str] = {}
        for dim, verdict in verdicts.items():
            if scores[dim] != verdict.score:  # capped: the rationale states the score given
                verdict = DimensionVerdict(scores[dim], verdict.results, verdict.raw)
            reasons[dim.value] = rationale(verdict)
            evidence_by_dim[dim.value] = (
                evidence_quotes(verdict, reading.signals, reading.cited, reading.numbered, answer)
                if verdict.score is not None else []
            )
        return Evaluation(
            status=EvalStatus.OK,
            honesty=scores[Dimension.HONESTY],
            root_cause=scores[Dimension.ROOT_CAUSE],
            storytelling=scores[Dimension.STORYTELLING],
            evidence=evidence_by_dim,
            rationale=reasons,
            flags=compute_flags(verdicts, reading.signals, injected) + ([CUT_FLAG] if judgement.cut else []),
            attempts=judgement.attempts,
            scorer=SCORER,
        )

    async def evaluate(self, question: str, answer: str) -> Evaluation:
        """Never raises: any failure becomes status=UNAVAILABLE with the reason in `error`."""
        try:
            judgement = await self.judge(question or "", answer or "")
            return self.build(judgement, answer or "")
        except asyncio.CancelledError:
            raise
        except MalformedOutput as exc:
            return Evaluation(status=EvalStatus.UNAVAILABLE, error=f"malformed model output: {exc}", attempts=2)
        except TimeoutError:
            return Evaluation(status=EvalStatus.UNAVAILABLE, error=f"evaluator timed out after {self.timeout} s", attempts=1)
        except Exception as exc:  # network errors, HTTP 4xx/5xx, anything the client raises
            return Evaluation(
                status=EvalStatus.UNAVAILABLE, error=f"{type(exc).__name__}: {str(exc)[:200]}", attempts=1
            )

    async def evaluate_patiently(self, question: str, answer: str, attempts: int = 3,
                                 backoff: float = 2.0) -> Evaluation:
        return await patiently(self.evaluate, question, answer, attempts, backoff)


async def patiently(evaluate: Callable[[str, str], Awaitable[Evaluation]], question: str, answer: str,
                    attempts: int = 3, backoff: float = 2.0) -> Evaluation:
    """`evaluate`, tried again when the model was unavailable (busy, timed out, cut off): batch
    commands use this so an answer is reported unavailable only after `attempts` (both scorers)."""
    evaluation = await evaluate(question, answer)
    for attempt in range(1, attempts):
        if evaluation.status is EvalStatus.OK:
            break
        await asyncio.sleep(backoff * attempt)
        evaluation = await evaluate(question, answer)
    return evaluation
