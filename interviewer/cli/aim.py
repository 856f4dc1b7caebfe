"""`interviewer train-aim`: rebuild the grader-aim probe from training/injection/ (part of `make reader`).

1. Read every training text once on the embedded model, with the reader's own route and prompt;
   replies are cached in $INTERVIEWER_CACHE_DIR/reader-replies/, keyed by the exact request, so a
   rerun reads only what changed.
2. Choose the ridge strength and threshold by leave-one-author-out cross-validation
   (evaluation/aim_fit.py): at most 2 % of each left-out author's innocent answers flagged.
3. Fit on every author and write prompts/reader_aim.json, with the cross-validation table.
The whole reader on this corpus, one author left out at a time (attempts that raised a score,
innocent answers flagged or lowered by the cap), is benchmarks/bench_aim_variants.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from interviewer.cli.reader import cache_tag, served_model_sha
from interviewer.config import Backend, Settings
from interviewer.evaluation.aim_fit import AimItem, Matrix, cross_validate, examples_of, fit, load_items
from interviewer.evaluation.aim_head import AimHead, aim_path
from interviewer.evaluation.reader import HttpStates, StateSource, load_reader_prompt
from interviewer.evaluation.reader_head import ReadStates
from interviewer.llm.provider import LLMRuntime, Role
from interviewer.text import Span

GRID_RIDGE = (0.3, 1.0, 3.0, 10.0)
# At most 2 % of EACH left-out author's innocent answers flagged (aim_fit.lowest_threshold_each),
# the target for unseen authors. Until session 21 this was 1 % pooled over all authors:
# 6 of 686 innocent answers flagged, 3 of them one author's (3 of 70). Withholding has its own
# lower bar, so this bar decides only who is accused, never what can raise a score.
MAX_BENIGN_FLAGS = 0.02
# The bar for withholding a sentence from the cap's reading sits where 3 % of the left-out
# authors' innocent answers have one withheld. Chosen on the training corpus alone (session 14,
# eight authors, benchmarks/bench_aim_variants.py, one author left out, while the cap still cut
# the lexical rules' stretches too): attempts that still raised a score 7 -> 3 of 482, innocent
# answers the cap lowered 28 -> 30 of 484; the 6 % bar took one gain more for four more innocent
# answers lowered. Not chosen again since the cap cuts only the probe's sentences (reader.py).
MAX_BENIGN_WITHHELD = 0.03
# The lexical rules' instruction-like stretches are withheld too where the probe scores their
# sentence over the bar 6 % of the left-out innocent answers reach (AimHead.vetted). Chosen on the
# training corpus alone (session 21, twelve authors, one left out): attempts that raised a score
# 6 -> 4 of 692, innocent answers lowered by the cap 2 -> 3 of 758; at the 12 % bar 4 and 7, at
# 25 % 3 and 13, every stretch 3 and 40.
MAX_BENIGN_RULES = 0.06
# Each sentence read beside its neighbours (aim_head.sentence_windows says why).
WINDOW = True


class CachedStates:
    """A StateSource that keeps every reply on disk, keyed by the exact request body."""

    def __init__(self, inner: StateSource, folder: Path) -> None:
        self.inner = inner
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.reads = 0

    async def read(self, body: dict[str, Any]) -> dict[str, Any]:
        key = hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()
        path = self.folder / f"{key}.json"
        if path.is_file():
            cached: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return cached
        reply = await self.inner.read(body)
        self.reads += 1
        path.write_text(json.dumps(reply), encoding="utf-8")
        return reply


def cached_source(runtime: LLMRuntime) -> CachedStates:
    """The evaluator's read route with every reply kept on disk (train-aim, train-probe and their
    benchmarks share the folder of one reader prompt and model file: a read is a read)."""
    settings = runtime.settings
    folder = settings.cache_dir / "reader-replies" / cache_tag(load_reader_prompt().sha256, served_model_sha(runtime))
    return CachedStates(HttpStates(runtime.base_url(Role.EVALUATOR) or "", settings.request_timeout,
                                   runtime.guard(Role.EVALUATOR)), folder)


def embedded_settings(what: str) -> Settings:
    """The settings, which must name the embedded backend: `what` is trained on its states."""
    from interviewer.cli.runtime import settings_or_exit

    settings = settings_or_exit()
    if settings.backend is not Backend.LOCAL:
        raise click.ClickException(f"{what} is trained on the embedded model: unset INTERVIEWER_BACKEND")
    return settings


async def read_items(source: StateSource, items: list[AimItem], say: Any) -> dict[str, tuple[Matrix, list[Span]]]:
    prompt = load_reader_prompt()
    out: dict[str, tuple[Matrix, list[Span]]] = {}
    started = time.monotonic()
    for n, item in enumerate(items, 1):
        body, pooled, spans = prompt.request(item.question, item.text)
        states = ReadStates.from_response(await source.read(body), pooled)
        out[item.id] = (np.stack(states.sentence_means).astype(np.float64), spans)
        if n % 25 == 0 or n == len(items):
            say(f"read {n}/{len(items)} ({(time.monotonic() - started) / n:.2f} s each)")
    return out


@click.command("train-aim")
@click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("training/injection/authors"), show_default=True, help="one JSONL file per author")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="default: the shipped probe")
@click.option("--cv-out", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("benchmarks/aim_cv-latest.json"), show_default=True)
def train_aim(data_dir: Path, out: Path | None, cv_out: Path) -> None:
    """Read the injection training corpus on the embedded model and fit the grader-aim probe."""
    from interviewer.cli.runtime import start_runtime

    settings = embedded_settings("the probe")
    items = load_items(data_dir)
    if not items:
        raise click.ClickException(f"no training rows in {data_dir}")

    def say(message: str) -> None:
        click.echo(f"[train-aim] {message}", err=True)

    started = time.monotonic()
    prompt = load_reader_prompt()
    with start_runtime(settings) as runtime:
        model_sha = served_model_sha(runtime)
        source = cached_source(runtime)
        states = asyncio.run(read_items(source, items, say))
        examples = examples_of(items, lambda item: states[item.id], WINDOW)
        table = [cross_validate(examples, ridge, MAX_BENIGN_FLAGS, MAX_BENIGN_WITHHELD, MAX_BENIGN_RULES)
                 for ridge in GRID_RIDGE]
        for row in table:
            say(f"ridge {row['ridge']:6}: threshold {row['threshold']:.3f} (withhold {row['withhold']:.3f}), attempts removed whole "
                f"{row['attempts_removed']}/{row['attempts']}, flagged {row['attempts_flagged']}, "
                f"benign flagged {row['benign_flagged']}/{row['benign']}")
        # Most attempts removed whole, then fewest innocent answers flagged, then the stronger ridge.
        best = max(table, key=lambda r: (r["attempts_removed"], -r["benign_flagged"], r["ridge"]))
    probe = fit(examples, best["ridge"])
    counts = {"authors": sorted({i.author for i in items}), "attempt_rows": sum(i.clean is not None for i in items),
              "benign_rows": sum(i.clean is None for i in items), "sentences": sum(len(e.y) for e in examples),
              "attempt_sentences": sum(sum(e.y) for e in examples)}
    aim = AimHead(probe.w.astype(np.float32), probe.offset, best["threshold"], prompt.sha256, model_sha,
                  {"trained_on": counts, "ridge": best["ridge"], "max_benign_flags": MAX_BENIGN_FLAGS,
                   "max_benign_withheld": MAX_BENIGN_WITHHELD, "max_benign_rules": MAX_BENIGN_RULES,
                   "command": "make reader"}, best["withhold"], WINDOW, best["rules"])
    target = out or aim_path()
    target.write_text(json.dumps(aim.to_json(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    cv_out.parent.mkdir(parents=True, exist_ok=True)
    cv_out.write_text(json.dumps({"counts": counts, "chosen_ridge": best["ridge"], "grid": table}, indent=1) + "\n", encoding="utf-8")
    say(f"wrote {target} and {cv_out} in {time.monotonic() - started:.0f} s ({source.reads} new reads)")


COMMANDS = [train_aim]
