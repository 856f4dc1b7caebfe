"""What the report needs from the evaluator's rubric: dimension titles, anchored level texts, flags.

The rubric itself is owned by the evaluator (prompts/rubric.yaml, validated by interviewer/rubric.py).
The report only reads it; if the rubric cannot be loaded (a broken file must not cost the user
their report) it says so in a note and falls back to plain "level N of 5" texts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from interviewer.session import DIMENSIONS, Dimension

DEFAULT_TITLES: dict[str, str] = {
    Dimension.HONESTY.value: "Honesty / authenticity",
    Dimension.ROOT_CAUSE.value: "Root-cause understanding",
    Dimension.STORYTELLING.value: "Storytelling",
}


@dataclass(frozen=True)
class RubricView:
    titles: dict[str, str]
    anchors: dict[str, dict[int, str]]  # dimension -> {1: ..., 3: ..., 5: ...}
    flags: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # why the real rubric could not be used, if it could not

    def title(self, dim: str) -> str:
        return self.titles.get(dim, dim.replace("_", " ").capitalize())

    def level_description(self, dim: str, score: int) -> str:
        """The anchor text for a score; 2 and 4 sit between two anchors (as the rubric says)."""
        anchors = self.anchors.get(dim, {})
        if score in anchors:
            return anchors[score]
        if score + 1 in anchors and score - 1 in anchors:
            return f"Between {score - 1} and {score + 1}: {anchors[score + 1]}"
        return f"Level {score} of 5."


def load_rubric_view() -> RubricView:
    """The live rubric, or a neutral fallback with the reason recorded."""
    try:
        from interviewer.evaluation.rubric import load_rubric

        rubric = load_rubric()
    except Exception as exc:  # noqa: BLE001 - any rubric problem degrades the texts, not the report
        return RubricView(dict(DEFAULT_TITLES), {}, {}, problem=f"rubric not loaded: {exc}")
    titles = {d.value: rubric.dimension(d).title for d in DIMENSIONS}
    anchors = {
        d.value: {int(k): v for k, v in rubric.dimension(d).anchors.items()} for d in DIMENSIONS
    }
    return RubricView(titles, anchors, dict(rubric.flags))
