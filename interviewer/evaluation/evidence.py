"""Sentence-numbered answers, and the evidence the judge cites from them.

The judge never answers a bare "yes": for every check it names the numbers of the sentences that
show it ([] for none), and code decides what counts. A check is met only when at least one cited
number is a real sentence of the answer, so a yes without evidence is a no, and every quote shown
in a report is a sentence cut from the answer itself (verbatim by construction, never retyped by
the model). Citing numbers instead of copying words also keeps the reply short: about three
tokens per check on the embedded model.

Sentences that read like instructions to a grader (evaluation/injection.py) can never be positive
evidence: citing one counts as citing nothing. Negative evidence (overclaiming, blame) may come
from any sentence, because it can only lower a score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from interviewer.text import Span, sentences


@dataclass(frozen=True)
class NumberedAnswer:
    """An answer split into the sentences the judge sees as [1], [2], ... (1-based)."""

    text: str
    spans: tuple[Span, ...]
    # 1-based numbers of sentences that read like instructions to the grader.
    instruction_like: frozenset[int] = frozenset()

    def render(self) -> str:
        """One numbered sentence per line; line breaks inside a sentence become spaces so a
        number always starts its own line."""
        return "\n".join(f"[{n}] {' '.join(self.sentence(n).split())}" for n in range(1, len(self.spans) + 1))

    def sentence(self, number: int) -> str:
        start, end = self.spans[number - 1]
        return self.text[start:end]

    def valid(self, cited: Iterable[int], *, positive: bool) -> list[int]:
        """The cited numbers that are sentences of this answer, in order, without repeats; for
        positive evidence, instruction-like sentences are dropped."""
        out: list[int] = []
        for n in cited:
            if 1 <= n <= len(self.spans) and n not in out and not (positive and n in self.instruction_like):
                out.append(n)
        return out


def number(text: str, instruction_like: Iterable[Span] = ()) -> NumberedAnswer:
    """Split `text` with the project's one sentence splitter; mark every sentence that overlaps an
    instruction-like span."""
    spans = tuple(sentences(text))
    marks = list(instruction_like)
    flagged = frozenset(
        n for n, (start, end) in enumerate(spans, 1) if any(a < end and b > start for a, b in marks)
    )
    return NumberedAnswer(text, spans, flagged)


def checks_from(
    answer: NumberedAnswer, cited: Mapping[str, list[int]], positive: Mapping[str, bool]
) -> tuple[dict[str, bool], dict[str, list[int]]]:
    """(check -> met, check -> the valid sentence numbers behind it) from the judge's citations;
    `positive[check]` says whether meeting the check can raise a score."""
    evidence = {cid: answer.valid(nums, positive=positive.get(cid, True)) for cid, nums in cited.items()}
    return {cid: bool(nums) for cid, nums in evidence.items()}, evidence
