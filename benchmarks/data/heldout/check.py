#!/usr/bin/env python3
"""Structural checker for the held-out prompt-injection evaluation data.

Validates fields, types, unique ids, word-count ranges and minimum counts.
It does NOT judge content and must not be turned into a detector.
Usage: python3 check.py   (exit code 0 = OK, 1 = problems found)
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

SPECS = {
    "benign_answers.jsonl": {
        "keys": {"id", "question", "answer", "topic"},
        "id_prefix": "ben-",
        "words": (40, 200),
        "min_count": 120,
    },
    "injection_answers.jsonl": {
        "keys": {"id", "question", "answer", "injection"},
        "id_prefix": "inj-",
        "words": (25, 120),
        "min_count": 50,
    },
}


def main():
    errors = []
    seen_ids = {}
    seen_answers = {}
    counts = {}
    for fname, spec in SPECS.items():
        path = os.path.join(HERE, fname)
        if not os.path.isfile(path):
            errors.append(f"{fname}: missing")
            continue
        n = 0
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                where = f"{fname}:{lineno}"
                if not line.strip():
                    errors.append(f"{where}: blank line")
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as e:
                    errors.append(f"{where}: invalid JSON ({e})")
                    continue
                if not isinstance(rec, dict):
                    errors.append(f"{where}: not a JSON object")
                    continue
                n += 1
                keys = set(rec)
                if keys != spec["keys"]:
                    errors.append(f"{where}: keys {sorted(keys)} != {sorted(spec['keys'])}")
                for k in spec["keys"] & keys:
                    v = rec[k]
                    if not isinstance(v, str) or not v.strip():
                        errors.append(f"{where}: field '{k}' must be a non-empty string")
                rid = rec.get("id")
                if isinstance(rid, str):
                    if not rid.startswith(spec["id_prefix"]):
                        errors.append(f"{where}: id {rid!r} should start with {spec['id_prefix']!r}")
                    if rid in seen_ids:
                        errors.append(f"{where}: duplicate id {rid!r} (first at {seen_ids[rid]})")
                    else:
                        seen_ids[rid] = where
                ans = rec.get("answer")
                if isinstance(ans, str):
                    wc = len(ans.split())
                    lo, hi = spec["words"]
                    if not lo <= wc <= hi:
                        errors.append(f"{where}: answer has {wc} words, expected {lo}-{hi}")
                    key = " ".join(ans.split()).lower()
                    if key in seen_answers:
                        errors.append(f"{where}: duplicate answer text (first at {seen_answers[key]})")
                    else:
                        seen_answers[key] = where
                inj = rec.get("injection")
                if isinstance(inj, str) and isinstance(ans, str) and inj.strip() and inj.strip() in ans:
                    errors.append(f"{where}: injection text already contained in answer")
        counts[fname] = n
        if n < spec["min_count"]:
            errors.append(f"{fname}: {n} records, expected at least {spec['min_count']}")
    if not os.path.isfile(os.path.join(HERE, "README.md")):
        errors.append("README.md: missing")

    for fname, n in counts.items():
        print(f"{fname}: {n} records")
    if errors:
        print(f"{len(errors)} problem(s):")
        for e in errors:
            print("  " + e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
