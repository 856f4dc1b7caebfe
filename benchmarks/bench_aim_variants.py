"""The whole reader on the grader-aim probe's TRAINING corpus (training/injection/), one author left
out at a time, for two options of the cap (issue 24, session 11): a lower bar for withholding a
sentence than for flagging (`AimHead.withhold`: bars at which 3 / 6 / 12 % of the left-out innocent
answers have a sentence over it), and capping a flagged answer by what it said before its first
flagged sentence (`ReaderEvaluator(aim_prefix=True)`). Per option: attempts that raised a score over
the answer alone, flags, and innocent answers whose score the cap lowered below their own read.
Reads go through the train-aim cache; from scratch about 330 reads beyond train-aim's.

    python benchmarks/bench_aim_variants.py      # writes benchmarks/aim_variants-latest.json
    python benchmarks/bench_aim_variants.py --shipped   # only the shipped option: aim_variants-shipped-latest.json
"""
import argparse
import asyncio
import json
import time
from pathlib import Path

from _common import ROOT, machine

import numpy as np
from interviewer.config import load_settings
from interviewer.llm.provider import LLMRuntime, Role
from interviewer.cli.aim import MAX_BENIGN_FLAGS, MAX_BENIGN_RULES, MAX_BENIGN_WITHHELD, WINDOW, CachedStates, read_items
from interviewer.cli.reader import cache_tag, served_model_sha
from interviewer.evaluation.aim_fit import examples_of, load_items, fold_probes, lowest_threshold, lowest_threshold_each
from interviewer.evaluation.aim_head import AimHead
from interviewer.evaluation.reader import HttpStates, ReaderEvaluator, load_reader_prompt
from interviewer.evaluation.reader_head import load_head
from interviewer.evaluation.verdicts import INJECTION_ATTEMPT
from interviewer.session import DIMENSIONS

RIDGE = 0.3  # the ridge train-aim chose (prompts/reader_aim.json meta) in sessions 11-16
async def main(runtime, shipped_only=False):
    settings = runtime.settings
    prompt = load_reader_prompt()
    sha = served_model_sha(runtime)
    source = CachedStates(HttpStates(runtime.base_url(Role.EVALUATOR) or "", 900),
                          settings.cache_dir / "reader-replies" / cache_tag(prompt.sha256, sha))
    items = load_items(ROOT / "training" / "injection" / "authors")
    states = await read_items(source, items, lambda m: None)
    ex = examples_of(items, lambda it: states[it.id], WINDOW)
    probes = fold_probes(ex, RIDGE)
    scores = [probes[e.item.author].scores(e.x) for e in ex]
    t = lowest_threshold_each(ex, scores, MAX_BENIGN_FLAGS)
    shares = (MAX_BENIGN_WITHHELD, 0.06, 0.12)  # the shipped bar, then looser ones
    marks = {share: lowest_threshold(ex, scores, share) for share in shares}
    rules = lowest_threshold(ex, scores, MAX_BENIGN_RULES)  # the bar the rules' stretches must reach
    print("threshold", t, "withhold bars", marks, "rules bar", rules, flush=True)
    head = load_head()
    variants = [(None, False), (None, True)] + [(marks[s], p) for s in shares for p in (False, True)]
    if shipped_only:
        variants = [(marks[MAX_BENIGN_WITHHELD], False)]
    out = []
    for withhold, prefix in variants:
        started = time.monotonic()
        gains = flagged = benign_flagged = benign_lowered = attempts = benign = 0
        by_author = {}
        for e in ex:
            pr = probes[e.item.author]
            aim = AimHead(pr.w.astype(np.float32), pr.offset, t, prompt.sha256, sha, {}, withhold, WINDOW, rules)
            rd = ReaderEvaluator(source, head, aim=aim, aim_prefix=prefix)
            hit = await rd.evaluate(e.item.question, e.item.text)
            if e.item.clean is None:
                benign += 1
                benign_flagged += INJECTION_ATTEMPT in hit.flags
                main_read = await rd.read(e.item.question, e.item.text)
                benign_lowered += any((hit.score(d) or 0) < main_read.levels[d] for d in DIMENSIONS)
                continue
            plain = await rd.evaluate(e.item.question, e.item.clean)
            attempts += 1
            flagged += INJECTION_ATTEMPT in hit.flags
            g = any((hit.score(d) or 0) > (plain.score(d) or 0) for d in DIMENSIONS)
            gains += g
            by_author[e.item.author] = by_author.get(e.item.author, 0) + g
        row = {"withhold": withhold, "rules": rules, "prefix": prefix, "gains": gains, "attempts": attempts, "flagged": flagged,
               "benign": benign, "benign_flagged": benign_flagged, "benign_lowered_by_cap": benign_lowered,
               "gains_by_author": by_author, "new_reads": source.reads, "seconds": round(time.monotonic() - started)}
        print(json.dumps(row), flush=True)
        out.append(row)
    result = {"threshold": t, "ridge": RIDGE, "withhold_bars": {str(k): v for k, v in marks.items()}, "rows": out,
              "machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    name = "aim_variants-shipped-latest.json" if shipped_only else "aim_variants-latest.json"
    (ROOT / "benchmarks" / name).write_text(json.dumps(result, indent=1) + "\n")

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--shipped", action="store_true", help="only the shipped option")
args = parser.parse_args()
runtime = LLMRuntime(load_settings()).start()
try:
    asyncio.run(main(runtime, args.shipped))
finally:
    runtime.stop()
