"""`interviewer train-reader`: rebuild the reader's head from the training corpus (`make reader`).

1. Read every answer of training/reader/authors/*.jsonl once on the embedded model (the same
   route and prompt the app uses: llm/state_reader.py, evaluation/reader.py); states are cached
   in $INTERVIEWER_CACHE_DIR/reader-states/, keyed by prompt, model and text, so a rerun after
   adding data reads only the new answers.
2. Choose the feature blocks, ridge strength and whether pairs teach "equal on the other
   dimensions" by leave-one-author-out cross-validation on that corpus alone.
3. Fit the chosen head on every author and write it (prompts/reader_head.json), with the
   cross-validation table (benchmarks/reader_cv-latest.json).
Deterministic: the same data, prompt and model give the same file.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from interviewer.config import Backend
from interviewer.evaluation.reader import HttpStates, load_reader_prompt
from interviewer.evaluation.reader_fit import Corpus, FitOptions, Key, cross_validate, fit_head, load_corpus
from interviewer.evaluation.reader_head import BLOCKS, ReadStates, head_path
from interviewer.llm.provider import LLMRuntime, Role
from interviewer.session import DIMENSIONS, Dimension

GRID_BLOCKS: tuple[tuple[str, ...], ...] = (("mean",), ("last",), ("mean", "last"), ("mean", "last", "branch_mean"))
GRID_RIDGE = (0.3, 3.0, 30.0)  # lambda per training row
GRID_ZERO = (True, False)
GRID_ANCHOR = (0.0, 0.25)  # ladder answers as rows of their own (FitOptions.anchor), off or on


class StateCache:
    """Pooled states per (question, answer): the answer mean and each branch's last and mean."""

    def __init__(self, folder: Path, tag: str) -> None:
        self.folder = folder / tag
        self.folder.mkdir(parents=True, exist_ok=True)
        self.memory: dict[Key, np.ndarray] = {}

    def path(self, key: Key) -> Path:
        digest = hashlib.sha256(json.dumps(key).encode("utf-8")).hexdigest()
        return self.folder / f"{digest}.npy"

    def get(self, key: Key) -> np.ndarray | None:
        if key in self.memory:
            return self.memory[key]
        p = self.path(key)
        if p.is_file():
            self.memory[key] = np.load(p)
            return self.memory[key]
        return None

    def put(self, key: Key, states: ReadStates) -> None:
        rows = [states.mean()] + [states.last[d] for d in DIMENSIONS] + [states.branch_mean[d] for d in DIMENSIONS]
        array = np.stack(rows).astype(np.float32)
        np.save(self.path(key), array)
        self.memory[key] = array

    def features(self, blocks: tuple[str, ...]) -> Any:
        def get(key: Key, dim: Dimension) -> np.ndarray:
            array = self.get(key)
            if array is None:
                raise KeyError(f"no states for {key[1][:40]!r}")
            i = DIMENSIONS.index(dim)
            # The layout `put` writes: the answer mean, then each branch's last, then each one's mean.
            rows = {"mean": array[0], "last": array[1 + i], "branch_mean": array[1 + len(DIMENSIONS) + i]}
            return np.concatenate([rows[b] for b in blocks])
        return get


def served_model_sha(runtime: LLMRuntime) -> str:
    """The sha256 of the model file the embedded server serves ("unpinned" for an unchecked file):
    what a trained head or probe records and is used with."""
    check = runtime.model_check
    return check.sha256 if check is not None and check.sha256 else "unpinned"


def cache_tag(prompt_sha256: str, model_sha256: str) -> str:
    """The cache folder of reads for one reader prompt and model file."""
    return f"{prompt_sha256[:16]}-{model_sha256[:16]}"


async def read_all(source: HttpStates, keys: list[Key], cache: StateCache, say: Any) -> None:
    prompt = load_reader_prompt()
    todo = [k for k in keys if cache.get(k) is None]
    say(f"{len(keys)} answers, {len(keys) - len(todo)} already read, {len(todo)} to read")
    started = time.monotonic()
    for n, key in enumerate(todo, 1):
        body, pooled, _ = prompt.request(*key)
        cache.put(key, ReadStates.from_response(await source.read(body), pooled))
        if n % 25 == 0 or n == len(todo):
            rate = (time.monotonic() - started) / n
            say(f"read {n}/{len(todo)} ({rate:.2f} s each, ~{rate * (len(todo) - n) / 60:.0f} min left)")


def score_of(result: dict[str, Any]) -> float:
    """What the grid maximises (left-out authors): mean pair accuracy over dimensions, plus
    crossed-both accuracy, plus half the ladders' mean Spearman and half their within-one share
    (pairs and crossed pairs alone sat at the ceiling for most settings, ladders still differ)."""
    pairs = [r / t for r, t in result["pairs"].values() if t]
    right, total = result["crossed_both"]
    rhos = [v for v in result["ladder_spearman"].values() if v is not None]
    within = [r / t for r, t in result["ladder_within_one"].values() if t]
    return (float(np.mean(pairs)) + (right / total if total else 0.0)
            + 0.5 * (float(np.mean(rhos)) if rhos else 0.0) + 0.5 * (float(np.mean(within)) if within else 0.0))


def choose(corpus: Corpus, cache: StateCache, n_embd: int, say: Any) -> tuple[FitOptions, list[dict[str, Any]]]:
    table = []
    for blocks, ridge, zero, anchor in itertools.product(GRID_BLOCKS, GRID_RIDGE, GRID_ZERO, GRID_ANCHOR):
        options = FitOptions(blocks, ridge, zero, anchor)
        result = cross_validate(corpus, cache.features, options, n_embd)
        table.append({"blocks": list(blocks), "ridge": ridge, "zero_others": zero, "anchor": anchor,
                      **result, "objective": score_of(result)})
        say(f"{'+'.join(blocks):28} ridge {ridge:5} zero {zero!s:5} anchor {anchor:4} -> {score_of(result):.3f}")
    best = max(table, key=lambda r: r["objective"])
    return FitOptions(tuple(best["blocks"]), best["ridge"], best["zero_others"], best["anchor"]), table


@click.command("train-reader")
@click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("training/reader/authors"),
              show_default=True, help="one JSONL file per author")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="default: the shipped head")
@click.option("--cv-out", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("benchmarks/reader_cv-latest.json"), show_default=True)
def train_reader(data_dir: Path, out: Path | None, cv_out: Path) -> None:
    """Read the training corpus on the embedded model and fit the reader's head."""
    from interviewer.cli.runtime import settings_or_exit, start_runtime

    settings = settings_or_exit()
    if settings.backend is not Backend.LOCAL:
        raise click.ClickException("the reader is trained on the embedded model: unset INTERVIEWER_BACKEND")
    corpus = load_corpus(data_dir)
    if not corpus.comparisons:
        raise click.ClickException(f"no training records in {data_dir}")

    def say(message: str) -> None:
        click.echo(f"[train-reader] {message}", err=True)

    started = time.monotonic()
    prompt = load_reader_prompt()
    with start_runtime(settings) as runtime:
        model_sha = served_model_sha(runtime)
        cache = StateCache(settings.cache_dir / "reader-states", cache_tag(prompt.sha256, model_sha))
        source = HttpStates(runtime.base_url(Role.EVALUATOR) or "", settings.request_timeout, runtime.guard(Role.EVALUATOR))
        asyncio.run(read_all(source, corpus.keys(), cache, say))
    n_embd = int(next(iter(cache.memory.values())).shape[1])
    options, table = choose(corpus, cache, n_embd, say)
    counts = {
        "authors": corpus.authors(),
        "pairs": {d.value: sum(1 for c in corpus.comparisons if c.kind == "pair" and c.dim is d) for d in DIMENSIONS},
        "crossed": len({c.item for c in corpus.comparisons if c.kind == "crossed"}),
        "ladders": {d.value: sum(1 for lad in corpus.ladders if lad.dim is d) for d in DIMENSIONS},
    }
    meta = {"trained_on": counts,
            "options": {"ridge": options.ridge, "zero_others": options.zero_others, "anchor": options.anchor},
            "command": "make reader"}
    head = fit_head(corpus, cache.features(options.blocks), options, n_embd, prompt.sha256, model_sha, meta)
    target = out or head_path()
    target.write_text(json.dumps(head.to_json(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    cv_out.parent.mkdir(parents=True, exist_ok=True)
    cv_out.write_text(json.dumps({"chosen": [*options.blocks], "counts": counts, "grid": table,
                                  "blocks_known": list(BLOCKS)}, indent=1) + "\n", encoding="utf-8")
    say(f"chose {'+'.join(options.blocks)}, ridge {options.ridge}, zero_others {options.zero_others}, "
        f"anchor {options.anchor}")
    say(f"wrote {target} and {cv_out} in {time.monotonic() - started:.0f} s")


COMMANDS = [train_reader]
