"""Personas are data: every shipped file validates; a broken file is reported, never fatal."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.interview.personas import PERSONAS_DIR, PersonaLibrary, load_persona, PersonaError
from interviewer.interview.plan import build_plan, load_bank
from interviewer.session import Dimension

SHIPPED = ("friendly-team", "dour-cto", "structured-panel")


def test_shipped_personas_load_without_errors() -> None:
    library = PersonaLibrary.load()
    assert library.errors == []
    assert set(SHIPPED) <= set(library.ids())
    for persona in library.all():
        assert persona.id and persona.name and persona.description
        assert 2 <= len(persona.starters) <= 4


def test_panel_has_three_named_roles_owning_the_whole_rubric() -> None:
    panel = PersonaLibrary.load().get("structured-panel")
    assert panel.is_panel and len(panel.interviewers) >= 3
    assert len({m.role for m in panel.interviewers}) >= 3
    owned = {d for m in panel.interviewers for d in m.dimensions}
    assert owned == set(Dimension)


def test_cto_probes_deeper_and_tolerates_less_than_friendly_team() -> None:
    library = PersonaLibrary.load()
    cto, friendly = library.get("dour-cto"), library.get("friendly-team")
    assert cto.probing.max_probes > friendly.probing.max_probes
    assert cto.probing.tolerated_gaps < friendly.probing.tolerated_gaps
    assert "opening" not in cto.plan.phases  # no small talk


def test_plans_follow_the_interview_phases_and_use_bank_questions() -> None:
    bank = load_bank()
    for persona in PersonaLibrary.load().all():
        plan = build_plan(persona, bank)
        phases = [i.phase for i in plan]
        assert phases[-2:] == ["your_questions", "close"]
        assert "about_you" in phases and "behavioural" in phases
        assert phases.count("behavioural") == persona.plan.behavioural
        assert all(persona.member(i.owner) for i in plan)
        assert len({i.id for i in plan}) == len(plan)  # no question twice


def test_panel_plan_shares_questions_between_panellists() -> None:
    panel = PersonaLibrary.load().get("structured-panel")
    owners = {i.owner for i in build_plan(panel)}
    assert len(owners) >= 3


def test_seeded_plans_vary_but_are_reproducible() -> None:
    friendly = PersonaLibrary.load().get("friendly-team")
    assert [i.id for i in build_plan(friendly, seed=1)] == [i.id for i in build_plan(friendly, seed=1)]
    seen = {tuple(i.id for i in build_plan(friendly, seed=s)) for s in range(10)}
    assert len(seen) > 1


def _copy_shipped(tmp_path: Path) -> None:
    for name in SHIPPED:
        (tmp_path / f"{name}.yaml").write_text((PERSONAS_DIR / f"{name}.yaml").read_text())


def test_a_malformed_file_names_file_and_field_and_others_still_load(tmp_path: Path) -> None:
    _copy_shipped(tmp_path)
    text = (PERSONAS_DIR / "dour-cto.yaml").read_text().replace("  max_probes: 3", "  max_probes: lots")
    (tmp_path / "broken-cto.yaml").write_text(text)
    (tmp_path / "not-yaml.yaml").write_text("name: [unclosed")
    library = PersonaLibrary.load(tmp_path)
    assert set(library.ids()) == set(SHIPPED)
    joined = "\n".join(library.errors)
    assert "broken-cto.yaml" in joined and "probing.max_probes" in joined
    assert "not-yaml.yaml" in joined


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda t: t + "\nunexpected: 1\n", "unexpected"),
        (lambda t: t.replace("starters:", "starters_renamed:"), "starters"),
        (lambda t: t.replace("    why: [", "    whyy: ["), "phrases.probes"),
        (lambda t: t.replace("phases: [about_you,", "phases: [small_talk, about_you,"), "plan.phases"),
    ],
)
def test_validation_errors_name_the_field(tmp_path: Path, edit, field: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "edited.yaml"
    path.write_text(edit((PERSONAS_DIR / "dour-cto.yaml").read_text()))
    with pytest.raises(PersonaError) as info:
        load_persona(path)
    assert "edited.yaml" in str(info.value) and field in str(info.value)


def test_adding_a_persona_is_adding_a_file(tmp_path: Path) -> None:
    _copy_shipped(tmp_path)
    text = (PERSONAS_DIR / "friendly-team.yaml").read_text().replace("name: Friendly team", "name: Night shift")
    (tmp_path / "night-shift.yaml").write_text(text)
    library = PersonaLibrary.load(tmp_path)
    assert library.get("night-shift").name == "Night shift"


def test_unknown_persona_lists_known_ones() -> None:
    with pytest.raises(KeyError, match="dour-cto"):
        PersonaLibrary.load().get("nobody")


def test_probing_depth_shifts_the_personas_own_budget() -> None:
    from interviewer.interview.personas import ProbingSpec, adjust_probing

    spec = ProbingSpec(max_probes=2, tolerated_gaps=1)
    assert adjust_probing(spec, "normal") == spec
    assert adjust_probing(spec, "light") == ProbingSpec(max_probes=1, tolerated_gaps=2)
    assert adjust_probing(spec, "deep") == ProbingSpec(max_probes=3, tolerated_gaps=0)
    assert adjust_probing(ProbingSpec(max_probes=5, tolerated_gaps=0), "deep").max_probes == 5
