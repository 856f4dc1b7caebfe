"""`interviewer train-probe`: rebuild the probe-choice head from training/probes/ (part of `make reader`).

1. Read every (question, answer) once on the embedded model with the reader's own prompt; replies
   are cached like train-aim's (the same folder: a read is a read), so a rerun reads nothing new.
2. Choose the ridge strength and the bar by leave-one-author-out cross-validation
   (interview/probe_fit.py): at most MAX_FALSE of the answers above the bar get a kind the
   author marked wrong.
3. Fit on every author and write prompts/reader_probe.json, with the cross-validation table.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from interviewer.cli.aim import cached_source, embedded_settings
from interviewer.cli.reader import served_model_sha
from interviewer.evaluation.reader import StateSource, load_reader_prompt
from interviewer.evaluation.reader_head import ReadStates
from interviewer.interview.probe_fit import ProbeRow, cross_validate, fit, load_rows
from interviewer.interview.probe_head import KINDS, Matrix, ProbeHead, features, probe_path

GRID_RIDGE = (3.0, 10.0, 30.0)
# A product choice, made on the training corpus alone (session 15): the issue asks that a probe's
# stated reason be false at most 2 % of the time, and the left-out authors' scores reach that only
# for about a tenth of answers, so the interviewer would ask "tell me more" nine times in ten.
# At 10 % the head names a kind for about 60 % of the answers, each right nine times in ten, and
# the others get a follow-up that claims no reason (policy.NEUTRAL); the rules it replaces named
# a wrong reason for 0.62 of the same answers (ten authors, session 15).
MAX_FALSE = 0.10


async def read_rows(source: StateSource, rows: list[ProbeRow], say: Any) -> Matrix:
    prompt = load_reader_prompt()
    out = []
    started = time.monotonic()
    for n, row in enumerate(rows, 1):
        body, pooled, _ = prompt.request(row.question, row.answer)
        out.append(features(ReadStates.from_response(await source.read(body), pooled)))
        if n % 40 == 0 or n == len(rows):
            say(f"read {n}/{len(rows)} ({(time.monotonic() - started) / n:.2f} s each)")
    return np.stack(out)


@click.command("train-probe")
@click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("training/probes/authors"), show_default=True, help="one JSONL file per author")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="default: the shipped head")
@click.option("--cv-out", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("benchmarks/probe_cv-latest.json"), show_default=True)
def train_probe(data_dir: Path, out: Path | None, cv_out: Path) -> None:
    """Read the probe-choice corpus on the embedded model and fit the head that picks follow-ups."""
    from interviewer.cli.runtime import start_runtime

    settings = embedded_settings("the head")
    rows = load_rows(data_dir)
    if not rows:
        raise click.ClickException(f"no training rows in {data_dir}")

    def say(message: str) -> None:
        click.echo(f"[train-probe] {message}", err=True)

    started = time.monotonic()
    prompt = load_reader_prompt()
    with start_runtime(settings) as runtime:
        model_sha = served_model_sha(runtime)
        source = cached_source(runtime)
        x = asyncio.run(read_rows(source, rows, say))
    table = [cross_validate(x, rows, strength, MAX_FALSE) for strength in GRID_RIDGE]
    for row in table:
        say(f"ridge {row['ridge']:5}: best kind fit {row['best_kind']['fit']}, bar {row['bar']} covers "
            f"{row['coverage']}, above it fit {row['above_bar']['fit']} false {row['above_bar']['false_reason']}")
    # The most answers above the bar (each ridge's bar already keeps false reasons under MAX_FALSE).
    best = max(table, key=lambda r: (r["coverage"], r["best_kind"]["fit"]))
    w, offsets = fit(x, rows, best["ridge"])
    counts = {"authors": sorted({r.author for r in rows}), "rows": len(rows),
              "acceptable": {k: sum(k in r.acceptable for r in rows) for k in KINDS}}
    head = ProbeHead(KINDS, w.astype(np.float32), offsets, best["bar"], prompt.sha256, model_sha,
                     {"trained_on": counts, "ridge": best["ridge"], "max_false": MAX_FALSE,
                      "left_out_author": {k: best[k] for k in ("best_kind", "coverage", "above_bar")},
                      "command": "make reader"})
    target = out or probe_path()
    target.write_text(json.dumps(head.to_json(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    cv_out.parent.mkdir(parents=True, exist_ok=True)
    cv_out.write_text(json.dumps({"counts": counts, "chosen_ridge": best["ridge"], "grid": table}, indent=1) + "\n",
                      encoding="utf-8")
    say(f"wrote {target} and {cv_out} in {time.monotonic() - started:.0f} s ({source.reads} new reads)")


COMMANDS = [train_probe]
