"""The evaluator chain: scores one answer for honesty, root-cause understanding and storytelling.

Why it looks like this (numbers in benchmarks/evaluator.md):
- The embedded 1.5B model cannot make holistic 1-5 judgements, so it answers only narrow yes/no
  checks (enum fields, ONE function-calling request per answer, compact output). Code combines
  those checks with transparent text signals (evaluation/signals.py) and computes the score from
  the weighted criteria in prompts/rubric.yaml. The same code path runs on capable API models.
- Injections are removed in code before the model sees the answer (evaluation/injection.py), the
  answer is fenced by per-call random markers, and the instructions are restated after it.
- Every evidence quote is checked to occur verbatim in the answer; anything else is dropped.
- A model failure (bad output after one repair/retry, network error, timeout) yields
  `Evaluation(status=UNAVAILABLE, error=...)`, never a made-up number. `evaluate` never raises.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from interviewer.evaluation import injection, signals
from interviewer.evaluation.reply import TOOL_NAME, MalformedOutput, checks_schema, find_verbatim, parse_reply
from interviewer.evaluation.rubric import CombineMode, Criterion, Rubric, load_rubric
from interviewer.prompts import load_prompt
from interviewer.session import DIMENSIONS, Dimension, EvalStatus, Evaluation

MIN_WORDS = 8  # fewer words than this gives nothing to judge on any dimension
# The judge reads at most this much of an answer (about 1,500 tokens): the system prompt, the
# question and the reply must fit the embedded model's 4,096-token context. A longer answer is
# judged on its beginning, cut at a sentence end, and flagged `answer_cut`; before this, a 1 MB
# answer went out as 201,510 tokens, got HTTP 400 and came back unavailable.
MAX_JUDGED_CHARS = 6_000
CUT_FLAG = "answer_cut"


def bounded(text: str, limit: int = MAX_JUDGED_CHARS) -> tuple[str, bool]:
    """`text` cut to at most `limit` characters, after its last whole sentence (the project's one
    splitter, `signals.sentences`) when that keeps more than half of the limit."""
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    # The last span may be a sentence the cut went through: only earlier ones are known whole.
    whole = [end for _start, end in signals.sentences(head)[:-1]]
    end = whole[-1] if whole and whole[-1] > limit // 2 else limit
    return head[:end].rstrip(), True


MAX_QUOTES = 3
MAX_QUOTE_WORDS = 25
INSUFFICIENT = "Insufficient evidence: the answer gives nothing to judge this on."

# Stable flag names (documented in prompts/rubric.yaml `flags`).
OVERCLAIMING = "overclaiming"
BLAME_SHIFTING = "blame_shifting"
WE_NOT_I = "we_not_i"
NO_RESULT_OR_NUMBERS = "no_result_or_numbers"
NO_LESSON = "no_lesson"
INJECTION_ATTEMPT = "injection_attempt"
FLAGS = (OVERCLAIMING, BLAME_SHIFTING, WE_NOT_I, NO_RESULT_OR_NUMBERS, NO_LESSON, INJECTION_ATTEMPT)

_PROBLEM_WORDS = re.compile(
    r"\b(?:bugs?|outages?|incidents?|fail\w*|errors?|slow\w*|crash\w*|broke\w*|issues?|problems?|leaks?|"
    r"down|latency|timeouts?|regressions?|memory|cpu|exceptions?|fix\w*|wrong|hard to|went wrong|mistakes?)\b",
    re.IGNORECASE,
)


def _window(text: str, span: tuple[int, int], sentence: tuple[int, int]) -> str:
    """The sentence holding a span, cut to at most MAX_QUOTE_WORDS words around it."""
    start, end = sentence
    words = list(re.finditer(r"\S+", text[start:end]))
    if len(words) <= MAX_QUOTE_WORDS:
        return text[start:end]
    centre = span[0] - start
    first = max(0, min(len(words) - MAX_QUOTE_WORDS, next((i for i, w in enumerate(words) if w.end() > centre), 0) - 5))
    chosen = words[first : first + MAX_QUOTE_WORDS]
    return text[start + chosen[0].start() : start + chosen[-1].end()]


# -- scoring from checks + signals ----------------------------------------------------------------
@dataclass
class CriterionResult:
    criterion: Criterion
    evidence: float  # 0..1
    signal_hit: bool | None
    model_yes: bool | None


def criterion_evidence(
    crit: Criterion, checks: Mapping[str, bool], sig: signals.TextSignals, mode: CombineMode
) -> CriterionResult:
    s = sig.hit(crit.signal) if crit.signal else None
    m = checks.get(crit.check) if crit.check else None
    if s is None and m is None:
        value = 0.0
    elif s is None or m is None:
        value = float(bool(s if m is None else m))
    else:
        value = {
            CombineMode.SIGNAL: float(s),
            CombineMode.MODEL: float(m),
            CombineMode.AVERAGE: (float(s) + float(m)) / 2,
            CombineMode.EITHER: float(s or m),
            CombineMode.BOTH: float(s and m),
        }[mode]
    return CriterionResult(crit, value, s, m)


def _round(value: float) -> int:
    return max(1, min(5, int(value + 0.5)))


@dataclass
class DimensionVerdict:
    score: int | None
    results: list[CriterionResult] = field(default_factory=list)
    raw: float = 0.0


def judgeable(dim: Dimension, question: str, sig: signals.TextSignals, checks: Mapping[str, bool]) -> bool:
    if sig.words < MIN_WORDS:
        return False
    if dim is Dimension.ROOT_CAUSE:
        # Nothing went wrong and nothing is explained: there is no cause to understand.
        about_a_problem = bool(_PROBLEM_WORDS.search(question) or _PROBLEM_WORDS.search(sig.text))
        return about_a_problem or sig.hit("causal") or checks.get("explains_why", False)
    return True


def score_dimension(
    rubric: Rubric,
    dim: Dimension,
    question: str,
    sig: signals.TextSignals,
    checks: Mapping[str, bool],
    mode: CombineMode,
    injected: bool = False,
) -> DimensionVerdict:
    spec = rubric.dimension(dim)
    results = [criterion_evidence(c, checks, sig, mode) for c in spec.criteria]
    if not judgeable(dim, question, sig, checks):
        return DimensionVerdict(None, results)
    raw = spec.base + sum(r.criterion.weight * r.evidence for r in results)
    if injected and dim is Dimension.HONESTY:
        raw -= rubric.injection_honesty_penalty
    return DimensionVerdict(_round(raw), results, raw)


def rationale(verdict: DimensionVerdict) -> str:
    """One sentence saying which criteria carried the score and which were missing."""
    if verdict.score is None:
        return INSUFFICIENT
    shown = [r for r in verdict.results if r.evidence >= 0.5]
    met = [r.criterion.met for r in sorted(shown, key=lambda r: -abs(r.criterion.weight))]
    missing = [
        r.criterion.missing
        for r in sorted(verdict.results, key=lambda r: -r.criterion.weight)
        if r.criterion.weight > 0 and r.evidence < 0.5
    ]
    parts = ", ".join(met[:3]) if met else "shows none of the behaviours this level needs"
    text = f"{verdict.score}/5: the answer {parts}"
    if missing:
        text += f", but {' and '.join(missing[:2])}"
    return text + "."


def evidence_quotes(
    verdict: DimensionVerdict, sig: signals.TextSignals, model_quote: str | None, answer: str
) -> list[str]:
    """1-3 quotes from the answer, each verified verbatim: the model's quote if it checks out,
    then the sentences that triggered the deciding signals (strongest criteria first)."""
    pool: list[str] = []
    if model_quote:
        exact = find_verbatim(model_quote, answer)
        if exact:
            pool.append(exact)
    decisive = sorted(
        (r for r in verdict.results if r.criterion.signal and r.signal_hit),
        key=lambda r: -abs(r.criterion.weight) * r.evidence,
    )
    for r in decisive:
        for span in sig[r.criterion.signal or ""].spans[:2]:
            pool.append(_window(sig.text, span, sig.sentence_of(span)))
    if not pool:  # nothing fired: quote the opening, which is what the score is based on
        pool.extend(sig.text[a:b] for a, b in signals.sentences(sig.text)[:1])
    quotes: list[str] = []
    for candidate in pool:
        exact = find_verbatim(candidate, answer)  # the final gate: never a non-verbatim quote
        if exact and not any(exact in q or q in exact for q in quotes):
            quotes.append(exact)
        if len(quotes) == MAX_QUOTES:
            break
    return quotes


def compute_flags(
    verdicts: Mapping[Dimension, DimensionVerdict], sig: signals.TextSignals, injected: bool
) -> list[str]:
    def strong(dim: Dimension, name: str) -> bool:
        for r in verdicts[dim].results:
            if r.criterion.signal == name or r.criterion.check == name:
                return bool(r.signal_hit) or r.evidence >= 1.0
        return False

    def present(dim: Dimension, name: str) -> bool:
        return any(
            (r.criterion.signal == name or r.criterion.check == name) and r.evidence >= 0.5
            for r in verdicts[dim].results
        )

    flags: list[str] = []
    judged = sig.words >= MIN_WORDS
    if judged and strong(Dimension.HONESTY, "overclaim"):
        flags.append(OVERCLAIMING)
    if judged and strong(Dimension.HONESTY, "blame"):
        flags.append(BLAME_SHIFTING)
    if judged and sig.we_count >= 2 and sig.we_count > 2 * sig.i_count:
        flags.append(WE_NOT_I)
    story = verdicts[Dimension.STORYTELLING].score is not None
    if story and not present(Dimension.STORYTELLING, "result") and not sig.hit("number"):
        flags.append(NO_RESULT_OR_NUMBERS)
    if story and present(Dimension.STORYTELLING, "situation") and not present(Dimension.STORYTELLING, "lesson"):
        flags.append(NO_LESSON)
    if injected:
        flags.append(INJECTION_ATTEMPT)
    return flags


# -- the chain ------------------------------------------------------------------------------------
@dataclass
class Judgement:
    """Everything one model call produced, kept so benchmarks can rescore under other modes."""

    question: str
    cleaned: str
    checks: dict[str, bool]
    quotes: dict[str, str]
    signals: signals.TextSignals
    scan: injection.InjectionScan
    attempts: int
    cut: bool = False


class AnswerEvaluator:
    """Scores answers; see the module docstring. Pass the model in (Role.EVALUATOR, temperature 0)."""

    def __init__(
        self,
        model: BaseChatModel,
        *,
        rubric: Rubric | None = None,
        mode: CombineMode | None = None,
        ask_quotes: bool = True,
        timeout: float | None = 180.0,
        cache_size: int = 512,
        marker: Callable[[], str] | None = None,
    ) -> None:
        self.model = model
        self.rubric = rubric or load_rubric()
        self.mode = mode or self.rubric.combine
        self.ask_quotes = ask_quotes
        self.timeout = timeout
        self.schema = checks_schema(self.rubric, ask_quotes)
        self._system = load_prompt("evaluator_system").render(checks=self._checks_text())
        self._user = load_prompt("evaluator_user")
        self._cache: OrderedDict[tuple[str, str], Judgement] = OrderedDict()
        self._cache_size = cache_size
        # Per-call random fence, so an answer cannot guess and forge the closing marker. Tests
        # pass a deterministic factory so recorded request bodies replay.
        self._marker = marker or (lambda: f"ANSWER-{secrets.token_hex(6).upper()}")

    def _checks_text(self) -> str:
        return "\n".join(f"- {c.id}: {c.question}" for c in self.rubric.checks)

    def messages(self, question: str, answer: str, marker: str | None = None) -> list[BaseMessage]:
        """System (fixed: rules + checks) first, then the variable part: prefix-stable."""
        marker = marker or self._marker()
        user = self._user.render(question=question.strip(), marker=marker, answer=answer)
        return [SystemMessage(self._system), HumanMessage(user)]

    async def _ask(self, messages: list[BaseMessage]) -> tuple[dict[str, bool], dict[str, str], int]:
        bound = self.model.bind_tools([self.schema], tool_choice=TOOL_NAME)
        reply = await bound.ainvoke(messages)
        try:
            checks, quotes = parse_reply(reply, self.rubric)
            return checks, quotes, 1
        except MalformedOutput as first:
            # One retry, appended after the original prompt so the cached prefix is reused.
            retry = [
                *messages,
                HumanMessage(
                    f"Your reply could not be read ({first}). Call {TOOL_NAME} with EVERY check "
                    'set to exactly "yes" or "no".'
                ),
            ]
            reply = await bound.ainvoke(retry)
            checks, quotes = parse_reply(reply, self.rubric)
            return checks, quotes, 2

    async def judge(self, question: str, answer: str) -> Judgement:
        """Run the model on the cleaned answer (cached by question + cleaned text). Raises on
        failure; `evaluate` turns that into UNAVAILABLE."""
        answer, cut = bounded(answer)
        scan = injection.scan(answer)
        cleaned = scan.cleaned if scan.found else injection.tidy(answer)
        key = (question.strip(), cleaned)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return Judgement(question, cleaned, cached.checks, cached.quotes, cached.signals, scan, 0, cut)
        sig = signals.compute(cleaned)
        if sig.words < MIN_WORDS:
            checks: dict[str, bool] = {c.id: False for c in self.rubric.checks}
            quotes: dict[str, str] = {}
            attempts = 0  # nothing to judge: no model call, every dimension comes out null
        else:
            call = self._ask(self.messages(question, cleaned))
            checks, quotes, attempts = await (
                asyncio.wait_for(call, self.timeout) if self.timeout else call
            )
        judgement = Judgement(question, cleaned, checks, quotes, sig, scan, attempts, cut)
        self._cache[key] = judgement
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return judgement

    def build(self, judgement: Judgement, answer: str, mode: CombineMode | None = None) -> Evaluation:
        """Turn a judgement into an Evaluation (pure code; used again by benchmarks per mode)."""
        mode = mode or self.mode
        injected = judgement.scan.found
        verdicts = {
            dim: score_dimension(
                self.rubric, dim, judgement.question, judgement.signals, judgement.checks, mode, injected
            )
            for dim in DIMENSIONS
        }
        evidence: dict[str, list[str]] = {}
        reasons: dict[str, str] = {}
        for dim, verdict in verdicts.items():
            reasons[dim.value] = rationale(verdict)
            if verdict.score is not None:
                evidence[dim.value] = evidence_quotes(
                    verdict, judgement.signals, judgement.quotes.get(dim.value), answer
                )
            else:
                evidence[dim.value] = []
        return Evaluation(
            status=EvalStatus.OK,
            honesty=verdicts[Dimension.HONESTY].score,
            root_cause=verdicts[Dimension.ROOT_CAUSE].score,
            storytelling=verdicts[Dimension.STORYTELLING].score,
            evidence=evidence,
            rationale=reasons,
            flags=compute_flags(verdicts, judgement.signals, injected) + ([CUT_FLAG] if judgement.cut else []),
            attempts=judgement.attempts,
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
        """`evaluate`, tried again when the model was unavailable (busy, timed out, cut off):
        batch commands use this so an answer is reported unavailable only after `attempts`."""
        evaluation = await self.evaluate(question, answer)
        for attempt in range(1, attempts):
            if evaluation.status is EvalStatus.OK:
                break
            await asyncio.sleep(backoff * attempt)
            evaluation = await self.evaluate(question, answer)
        return evaluation
