"""The rubric data file loads, and a broken one fails naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from interviewer.evaluation.rubric import RUBRIC_PATH, RubricError, parse_rubric
from interviewer.prompt_templates import load_prompt
from interviewer.session import DIMENSIONS


def test_the_shipped_rubric_is_complete() -> None:
    rubric = parse_rubric(RUBRIC_PATH)
    for dim in DIMENSIONS:
        spec = rubric.dimension(dim)
        assert set(spec.anchors) == {1, 3, 5}
        assert all(spec.level_description(s) for s in range(1, 6))
        assert any(c.check for c in spec.criteria) and any(c.weight < 0 for c in spec.criteria)
    assert {c.dimension for c in rubric.checks} == set(DIMENSIONS)


def test_evaluator_prompts_declare_their_variables() -> None:
    assert load_prompt("evaluator_system").variables == {"checks", "examples"}
    assert load_prompt("evaluator_user").variables == {"question", "marker", "answer"}


def _broken(tmp_path: Path, change: object) -> Path:
    data = yaml.safe_load(RUBRIC_PATH.read_text())
    change(data)  # type: ignore[operator]
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["dimensions"]["honesty"].update(colour="red"), "dimensions.honesty.colour"),
        (lambda d: d["dimensions"]["root_cause"]["anchors"].pop(3), "dimensions.root_cause.anchors"),
        (lambda d: d["dimensions"]["storytelling"]["criteria"][0].update(check="nope"), "dimensions.storytelling.criteria.0.check"),
        (lambda d: d["dimensions"]["honesty"]["criteria"][0].update(signal="nope"), "dimensions.honesty.criteria.0.signal"),
        (lambda d: d["dimensions"].pop("honesty"), "dimensions missing"),
        (lambda d: d.update(combine="vibes"), "combine"),
        (lambda d: d["checks"].append(dict(d["checks"][0])), "duplicate check ids"),
        (lambda d: d["flags"].update({"Bad Flag": "x"}), "snake_case"),
    ],
)
def test_broken_rubric_names_file_and_field(tmp_path: Path, change: object, field: str) -> None:
    with pytest.raises(RubricError) as err:
        parse_rubric(_broken(tmp_path, change))
    assert str(tmp_path / "rubric.yaml") in str(err.value) and field in str(err.value)


def test_not_yaml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_text("dimensions: [unclosed")
    with pytest.raises(RubricError, match="not valid YAML"):
        parse_rubric(path)


def test_no_single_signal_can_decide_a_dimension(tmp_path: Path) -> None:
    """A text signal weighted a full point or more (alone, or summed over criteria) is refused."""
    def loud(data: dict) -> None:  # type: ignore[type-arg]
        data["dimensions"]["storytelling"]["criteria"].append(
            {"signal": "result", "weight": 1.0, "met": "states a result", "missing": "states no result"}
        )
    with pytest.raises(RubricError, match="could decide the score alone"):
        parse_rubric(_broken(tmp_path, loud))
