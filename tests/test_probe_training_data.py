"""The probe-fit training corpus (training/probes/, issue 27) is well formed: what
benchmarks/bench_probe_given.py learns from must say, for every answer, which of the ten probe
kinds an interviewer would accept and which not, each kind exactly once. Authors from session 16
on also label the neutral follow-up (`elaborate`, briefs/neutral.md), so its acceptance can be
measured where the interviewer falls back on it."""

from __future__ import annotations

import json

from interviewer.config import REPO_ROOT

KINDS = {"why", "how_found", "prevention", "impact", "lesson", "own_part", "example", "specifics", "close_gap",
         "move_on"}
GIVEN = {"problem", "cause", "how_found", "fix", "prevention", "result", "lesson", "own_actions", "admitted_gap",
         "concrete_story"}
NEUTRAL = "elaborate"
FOLDER = REPO_ROOT / "training" / "probes" / "authors"
# Retold stories (session 17): an earlier answer, then an answer to an unrelated main question that
# tells the same story or another one (`same_story`); measured by bench_probe_choice, not fitted.
RETOLD = REPO_ROOT / "training" / "probes" / "authors_retold"


def test_every_row_labels_each_probe_kind_once_and_says_what_is_given() -> None:
    files = sorted(FOLDER.glob("*.jsonl"))
    assert len(files) >= 4
    files += sorted(RETOLD.glob("*.jsonl"))
    ids: set[str] = set()
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            where = f"{path.name}:{number}"
            assert row["id"].startswith(f"{path.stem}-") and row["id"] not in ids, where
            ids.add(row["id"])
            assert row["question"].strip() and row["answer"].strip(), where
            if path.parent == RETOLD:
                assert row["earlier_question"].strip() and row["earlier_answer"].strip(), where
                assert isinstance(row["same_story"], bool), where
            assert set(row["given"]) == GIVEN and all(isinstance(v, bool) for v in row["given"].values()), where
            acceptable, refused = set(row["acceptable"]), set(row["not_acceptable"])
            assert acceptable and not acceptable & refused and acceptable | refused in (KINDS, KINDS | {NEUTRAL}), where
