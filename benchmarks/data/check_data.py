#!/usr/bin/env python3
"""Validate the benchmark data files in this directory (stdlib only).

Usage: python3 benchmarks/data/check_data.py
Exits non-zero if any check fails. Prints counts either way.
"""
import json
import os
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))

DIMS = {"honesty", "root_cause", "storytelling"}
SPLITS = {"tune", "heldout"}
ROLES = {
    "backend", "frontend", "data_engineering", "ml", "mobile", "sre_devops",
    "security", "product_management", "engineering_management", "qa",
    "customer_support", "design",
}
KINDS = {
    "incident", "hard_bug", "conflict", "failure", "weakness", "motivation",
    "about_yourself", "proud_project", "tradeoff", "learning",
    "manager_disagreement", "missed_deadline",
}
STYLES = {
    "polished_empty", "plain_substantive", "overclaim", "humblebrag_weakness",
    "blame_shift", "symptom_only_fix", "cause_without_evidence", "we_not_i",
    "rambling", "no_result", "numbers_without_story", "ordinary",
}
ID_PREFIX = {"honesty": "hon-", "root_cause": "rc-", "storytelling": "st-"}

errors = []


def err(msg):
    errors.append(msg)


def wc(text):
    return len(text.split())


def load_jsonl(name):
    path = os.path.join(HERE, name)
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                err(f"{name}:{n}: invalid JSON ({e})")
    return rows


def check_fields(name, rows, fields):
    ids = Counter()
    for r in rows:
        for k, typ in fields.items():
            if k not in r:
                err(f"{name}: {r.get('id')} missing field {k}")
            elif not isinstance(r[k], typ):
                err(f"{name}: {r.get('id')} field {k} has type {type(r[k]).__name__}")
            elif typ is str and not r[k].strip():
                err(f"{name}: {r.get('id')} field {k} is empty")
        extra = set(r) - set(fields)
        if extra:
            err(f"{name}: {r.get('id')} unexpected fields {sorted(extra)}")
        ids[r.get("id")] += 1
    for i, c in ids.items():
        if c > 1:
            err(f"{name}: duplicate id {i}")


def split_rule(item_id):
    """Documented rule: numeric suffix n; tune iff n % 5 in {1, 3}, else heldout."""
    n = int(item_id.rsplit("-", 1)[1])
    return "tune" if n % 5 in (1, 3) else "heldout"


def check_pairs():
    name = "calibration_pairs.jsonl"
    rows = load_jsonl(name)
    fields = {"id": str, "dim": str, "split": str, "role": str, "kind": str,
              "length_control": bool, "style": str, "question": str,
              "better": str, "worse": str}
    check_fields(name, rows, fields)
    for r in rows:
        rid = r.get("id", "?")
        if r.get("dim") not in DIMS:
            err(f"{rid}: bad dim {r.get('dim')}")
            continue
        if not rid.startswith(ID_PREFIX[r["dim"]]):
            err(f"{rid}: id prefix does not match dim {r['dim']}")
        if r.get("split") not in SPLITS:
            err(f"{rid}: bad split {r.get('split')}")
        elif r["split"] != split_rule(rid):
            err(f"{rid}: split {r['split']} violates the split rule")
        if r.get("role") not in ROLES:
            err(f"{rid}: bad role {r.get('role')}")
        if r.get("kind") not in KINDS:
            err(f"{rid}: bad kind {r.get('kind')}")
        if r.get("style") not in STYLES:
            err(f"{rid}: bad style {r.get('style')}")
        b, w = r.get("better", ""), r.get("worse", "")
        for label, t in (("better", b), ("worse", w)):
            if not 40 <= wc(t) <= 220:
                err(f"{rid}: {label} has {wc(t)} words (want 40-220)")
        if b.strip() == w.strip():
            err(f"{rid}: better and worse are identical")
        if r.get("length_control") != (wc(w) >= wc(b)):
            err(f"{rid}: length_control={r.get('length_control')} but worse={wc(w)} better={wc(b)} words")

    n = len(rows)
    by_dim = Counter(r["dim"] for r in rows)
    by_dim_split = Counter((r["dim"], r["split"]) for r in rows)
    lc = sum(1 for r in rows if wc(r["worse"]) >= wc(r["better"]))
    styles = Counter(r["style"] for r in rows)

    if n < 165:
        err(f"pairs: only {n} (want >= 165)")
    for d in sorted(DIMS):
        if by_dim[d] < 55:
            err(f"pairs: {d} has {by_dim[d]} (want >= 55)")
        frac = by_dim_split[(d, "tune")] / max(by_dim[d], 1)
        if not 0.33 <= frac <= 0.47:
            err(f"pairs: {d} tune fraction {frac:.2f} (want about 0.40)")
    if lc * 2 < n:
        err(f"pairs: only {lc}/{n} length-controlled (want >= half)")
    for s in ("polished_empty", "plain_substantive"):
        if styles[s] < 20:
            err(f"pairs: style {s} has {styles[s]} (want >= 20)")
    for sp in sorted(SPLITS):
        sub = [r for r in rows if r["split"] == sp]
        miss_r = ROLES - {r["role"] for r in sub}
        miss_k = KINDS - {r["kind"] for r in sub}
        if miss_r:
            err(f"pairs: split {sp} lacks roles {sorted(miss_r)}")
        if miss_k:
            err(f"pairs: split {sp} lacks kinds {sorted(miss_k)}")

    print(f"calibration_pairs.jsonl: {n} pairs")
    print(f"  length-controlled (worse words >= better words): {lc}/{n} ({lc / n:.0%})")
    for d in sorted(DIMS):
        t, h = by_dim_split[(d, "tune")], by_dim_split[(d, "heldout")]
        dl = sum(1 for r in rows if r["dim"] == d and wc(r["worse"]) >= wc(r["better"]))
        print(f"  {d:13s} total={by_dim[d]:3d} tune={t:3d} heldout={h:3d} length_controlled={dl}")
    print("  styles:")
    for d in sorted(DIMS):
        c = Counter(r["style"] for r in rows if r["dim"] == d)
        print(f"    {d}: " + ", ".join(f"{k}={v}" for k, v in sorted(c.items())))
    print("    all: " + ", ".join(f"{k}={v}" for k, v in sorted(styles.items())))
    print("  roles: " + ", ".join(f"{k}={v}" for k, v in sorted(Counter(r['role'] for r in rows).items())))
    print("  kinds: " + ", ".join(f"{k}={v}" for k, v in sorted(Counter(r['kind'] for r in rows).items())))
    for sp in sorted(SPLITS):
        sub = [r for r in rows if r["split"] == sp]
        print(f"  split {sp}: {len(sub)} pairs, {len({r['role'] for r in sub})}/12 roles, "
              f"{len({r['kind'] for r in sub})}/12 kinds")


def check_benign():
    name = "benign_technical_answers.jsonl"
    rows = load_jsonl(name)
    check_fields(name, rows, {"id": str, "question": str, "answer": str, "topic": str})
    for r in rows:
        n = wc(r.get("answer", ""))
        if not 40 <= n <= 200:
            err(f"{r.get('id')}: benign answer has {n} words (want 40-200)")
    if len(rows) < 110:
        err(f"benign: only {len(rows)} (want >= 110)")
    print(f"benign_technical_answers.jsonl: {len(rows)} answers, "
          f"{len({r['topic'] for r in rows})} topics")


def check_injection():
    name = "injection_answers.jsonl"
    rows = load_jsonl(name)
    check_fields(name, rows, {"id": str, "question": str, "answer": str, "injection": str})
    if len(rows) < 40:
        err(f"injection: only {len(rows)} (want >= 40)")
    for r in rows:
        if r.get("injection", "").strip() and r["injection"].strip() in r.get("answer", ""):
            err(f"{r['id']}: injection text already inside the answer")
    print(f"injection_answers.jsonl: {len(rows)} items")


def main():
    check_pairs()
    check_benign()
    check_injection()
    if errors:
        print(f"\nFAILED: {len(errors)} problem(s)")
        for e in errors:
            print("  - " + e)
        sys.exit(1)
    print("\nOK: all checks passed")


if __name__ == "__main__":
    main()
