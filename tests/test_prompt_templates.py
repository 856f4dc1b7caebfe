"""Every template in prompts/ loads, and renders with exactly its declared variables."""

from __future__ import annotations

import pytest

from interviewer.interview.plan import load_bank
from interviewer.prompt_templates import PROMPTS_DIR, PromptError, load_prompt
from interviewer.tokens import count_tokens

ALL = {p.stem: load_prompt(p.stem) for p in sorted(PROMPTS_DIR.glob("*.md"))}  # each by its name, as the code loads it

# The interviewer's templates and the variables the engine passes to them.
INTERVIEWER_VARIABLES = {
    "interviewer_system": {"persona_name", "voice", "style", "panel", "role", "level", "context"},
    "interviewer_move": {"speaker", "task"},
    "interviewer_task_question": {"question", "hint"},
    "interviewer_task_probe": {"about", "example"},
    "interviewer_task_reconcile": {"where", "earlier", "new", "example"},
    "interviewer_task_answer": set(),
    "interviewer_task_close": set(),
}


def test_every_interviewer_template_exists() -> None:
    assert set(INTERVIEWER_VARIABLES) <= set(ALL)


@pytest.mark.parametrize("name", sorted(ALL))
def test_template_renders_with_its_variables(name: str) -> None:
    prompt = ALL[name]
    values = {v: f"<{v}>" for v in prompt.variables}
    text = prompt.render(**values)
    for value in values.values():
        assert value in text
    assert "{" not in text.replace("{{", "").replace("}}", "") or name.startswith("evaluator")


@pytest.mark.parametrize("name", sorted(ALL))
def test_render_rejects_missing_and_extra_variables(name: str) -> None:
    prompt = ALL[name]
    with pytest.raises(PromptError):
        prompt.render(**{v: "x" for v in prompt.variables}, not_a_variable="x")
    if prompt.variables:
        with pytest.raises(PromptError):
            prompt.render()


@pytest.mark.parametrize(("name", "variables"), sorted(INTERVIEWER_VARIABLES.items()))
def test_interviewer_templates_declare_what_the_engine_passes(name: str, variables: set[str]) -> None:
    assert load_prompt(name).variables == variables


def test_move_note_is_short_and_last_friendly() -> None:
    # The per-turn note goes after the answer and is read after Enter (issue 14): the frame
    # around the task costs a dozen tokens, the rest of NOTE_TOKENS is the task's.
    note = load_prompt("interviewer_move").render(speaker="Sam", task="ask ONE short question.")
    assert count_tokens(note) <= 16 and note.strip().endswith("ask ONE short question.")


def test_probe_instructions_stay_short() -> None:
    # An instruction is most of a probe's note: long ones would be cut (prompt_assembly.move_note).
    for kind, spec in load_bank().probes.items():
        assert count_tokens(spec.instruction) <= 16, kind


def test_question_bank_and_probe_kinds_are_consistent() -> None:
    bank = load_bank()
    assert {"why", "how_found", "prevention", "own_part", "lesson", "impact"} <= set(bank.probes)
    behavioural = {q.id for q in bank.phases["behavioural"]}
    assert {"conflict", "mistake", "failure", "leadership", "weakness", "vague_requirements"} <= behavioural
    for phase in ("opening", "about_you", "deep_dive", "technical", "your_questions", "close"):
        assert bank.phases[phase]
