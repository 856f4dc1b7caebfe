"""Scores from checks and signals: pure code that turns what the judge cited and what the text
signals found into 1-5 scores, one-sentence rationales, verbatim quotes and flags.

Kept apart from the chain (evaluator.py) so the arithmetic can be read, tested and re-run by the
benchmarks (bench_evaluator.py, tune_rubric.py) without a model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from interviewer.evaluation import evidence, signals
from interviewer.evaluation.reply import find_verbatim
from interviewer.evaluation.rubric import CombineMode, Criterion, Rubric
from interviewer.session import Dimension
from interviewer.text import sentences

MIN_WORDS = 8  # fewer words than this gives nothing to judge on any dimension
CUT_FLAG = "answer_cut"
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


def quote_window(text: str, span: tuple[int, int], sentence: tuple[int, int]) -> str:
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
    crit: Criterion, checks: Mapping[str, float], sig: signals.TextSignals, mode: CombineMode
) -> CriterionResult:
    """`checks` holds each check's strength in [0, 1] (a met check is 1, or the model's
    confidence in it: evaluator.Reading.strength)."""
    s = sig.hit(crit.signal) if crit.signal else None
    m = float(checks[crit.check]) if crit.check and crit.check in checks else None
    if s is None and m is None:
        value = 0.0
    elif m is None:
        value = float(bool(s))
    elif s is None:
        value = m
    else:
        value = {
            CombineMode.SIGNAL: float(s),
            CombineMode.MODEL: m,
            CombineMode.AVERAGE: (float(s) + m) / 2,
            CombineMode.EITHER: max(float(s), m),
            CombineMode.BOTH: min(float(s), m),
        }[mode]
    return CriterionResult(crit, value, s, None if m is None else m >= 0.5)


def _round(value: float) -> int:
    return max(1, min(5, int(value + 0.5)))


@dataclass
class DimensionVerdict:
    score: int | None
    results: list[CriterionResult] = field(default_factory=list)
    raw: float = 0.0


def judgeable(dim: Dimension, question: str, sig: signals.TextSignals, checks: Mapping[str, float]) -> bool:
    if sig.words < MIN_WORDS:
        return False
    if dim is Dimension.ROOT_CAUSE:
        # Nothing went wrong and nothing is explained: there is no cause to understand.
        about_a_problem = bool(_PROBLEM_WORDS.search(question) or _PROBLEM_WORDS.search(sig.text))
        return about_a_problem or sig.hit("causal") or checks.get("cause", 0.0) >= 0.5
    return True


def score_dimension(
    rubric: Rubric,
    dim: Dimension,
    question: str,
    sig: signals.TextSignals,
    checks: Mapping[str, float],
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
    verdict: DimensionVerdict, sig: signals.TextSignals, cited: Mapping[str, list[int]],
    numbered: evidence.NumberedAnswer, answer: str,
) -> list[str]:
    """1-3 quotes from the answer, each verified verbatim: the sentences the judge cited for the
    deciding criteria (strongest first), then the sentences that triggered the deciding signals."""
    pool: list[str] = []
    deciding = sorted((r for r in verdict.results if r.evidence > 0), key=lambda r: -abs(r.criterion.weight) * r.evidence)
    for r in deciding:
        if r.model_yes and r.criterion.check:
            pool.extend(numbered.sentence(n) for n in cited.get(r.criterion.check, [])[:2])
        if r.signal_hit and r.criterion.signal:
            for span in sig[r.criterion.signal].spans[:2]:
                pool.append(quote_window(sig.text, span, sig.sentence_of(span)))
    if not pool:  # nothing fired: quote the opening, which is what the score is based on
        pool.extend(sig.text[a:b] for a, b in sentences(sig.text)[:1])
    quotes: list[str] = []
    for candidate in pool:
        if len(candidate.split()) > MAX_QUOTE_WORDS:
            candidate = " ".join(candidate.split()[:MAX_QUOTE_WORDS])
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
