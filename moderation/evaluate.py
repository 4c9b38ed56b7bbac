"""Score the detector on labelled text.

    python -m moderation.evaluate FILE.tsv [--errors]
        TSV with header ``level<TAB>target<TAB>text`` (target empty for none).
    python -m moderation.evaluate --users FILE.jsonl [--errors]
        C-SSRS style JSON lines (``user``, ``label``, ``level``, ``posts``);
        each user is scored as the maximum level over their posts.

Prints a table for people and, as its last line, one JSON object with the
figures. Exit code 0 (2 if the file cannot be read).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from .baseline import keyword_level
from .detector import assess

AT_RISK_LABELS = ("Ideation", "Behavior", "Attempt")


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q * len(s) + 0.5)) - 1))
    return s[k]


def _ratio(num: int, den: int) -> float:
    return round(num / den, 4) if den else 0.0


def _timed(text: str):
    t0 = time.perf_counter_ns()
    a = assess(text)
    return a, (time.perf_counter_ns() - t0) / 1000.0


def read_tsv(path: Path) -> list[tuple[int, str | None, str]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        header = fh.readline().rstrip("\r\n").split("\t")
        if [h.strip().lower() for h in header[:3]] != ["level", "target", "text"]:
            raise ValueError(f"{path}: header must be level<TAB>target<TAB>text")
        for lineno, line in enumerate(fh, 2):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            parts = line.split("\t", 2)
            if len(parts) != 3:
                raise ValueError(f"{path}:{lineno}: expected 3 tab-separated fields")
            level, target, text = parts
            rows.append((int(level), target.strip() or None, text))
    return rows


def evaluate_tsv(path: Path, show_errors: bool = False, out=sys.stdout) -> dict:
    rows = read_tsv(path)
    for _lvl, _tgt, text in rows[:20]:  # warm caches so timings are steady
        assess(text)
    preds, times = [], []
    for lvl, tgt, text in rows:
        a, us = _timed(text)
        preds.append(a)
        times.append(us)
    n = len(rows)
    conf = Counter((lvl, a.level) for (lvl, _, _), a in zip(rows, preds))
    high = [(r, a) for r, a in zip(rows, preds) if r[0] >= 2]
    l3 = [(r, a) for r, a in zip(rows, preds) if r[0] == 3]
    benign = [(r, a) for r, a in zip(rows, preds) if r[0] == 0]
    kw_high = sum(1 for r in rows if r[0] >= 2 and keyword_level(r[2]) >= 2)
    kw_false = sum(1 for r in rows if r[0] == 0 and keyword_level(r[2]) >= 2)
    result = {
        "file": str(path),
        "n": n,
        "recall_high": _ratio(sum(1 for _, a in high if a.level >= 2), len(high)),
        "recall_l3": _ratio(sum(1 for _, a in l3 if a.level == 3), len(l3)),
        "fpr_benign": _ratio(sum(1 for _, a in benign if a.level >= 1), len(benign)),
        "false_high_benign": _ratio(sum(1 for _, a in benign if a.level >= 2), len(benign)),
        "level_accuracy": _ratio(sum(1 for r, a in zip(rows, preds) if r[0] == a.level), n),
        "target_accuracy": _ratio(sum(1 for r, a in high if r[1] == a.target), len(high)),
        "p50_us": round(_pct(times, 0.50), 1),
        "p99_us": round(_pct(times, 0.99), 1),
        "keyword_recall_high": _ratio(kw_high, len(high)),
        "keyword_false_high_benign": _ratio(kw_false, len(benign)),
    }
    print(f"Crisis detector on {path} ({n} rows)", file=out)
    print("", file=out)
    print("labelled \\ assessed    0    1    2    3   total", file=out)
    for gold in range(4):
        cells = "".join(f"{conf.get((gold, p), 0):5d}" for p in range(4))
        total = sum(conf.get((gold, p), 0) for p in range(4))
        print(f"  level {gold}          {cells}   {total:5d}", file=out)
    print("", file=out)
    labels = [
        ("recall on levels 2-3", "recall_high"), ("recall on level 3", "recall_l3"),
        ("benign flagged at 1+", "fpr_benign"), ("benign flagged at 2-3", "false_high_benign"),
        ("level accuracy", "level_accuracy"), ("target accuracy (2-3)", "target_accuracy"),
        ("keyword list: recall 2-3", "keyword_recall_high"),
        ("keyword list: benign at 2-3", "keyword_false_high_benign"),
    ]
    for label, key in labels:
        print(f"  {label:<30} {result[key]:.3f}", file=out)
    print(f"  {'latency p50 / p99 (us)':<30} {result['p50_us']:.1f} / {result['p99_us']:.1f}", file=out)
    if show_errors:
        print("", file=out)
        print("Disagreements (labelled -> assessed):", file=out)
        for (lvl, tgt, text), a in zip(rows, preds):
            if lvl != a.level or (lvl >= 2 and tgt != a.target):
                print(f"  {lvl}{'/' + tgt if tgt else ''} -> {a.level}{'/' + a.target if a.target else ''}: "
                      f"{text[:150]}", file=out)
                for r in a.reasons[:4]:
                    print(f"        {r}", file=out)
    return result


def evaluate_users(path: Path, show_errors: bool = False, out=sys.stdout) -> dict:
    users = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                users.append(json.loads(line))
    times = []
    rows = []
    for u in users:
        best, kw, best_post = 0, 0, None
        for post in u.get("posts", []):
            a, us = _timed(post)
            times.append(us)
            if a.level > best:
                best, best_post = a.level, (post, a)
            kw = max(kw, keyword_level(post))
        rows.append((u.get("label"), best, kw, best_post))
    at_risk = [r for r in rows if r[0] in AT_RISK_LABELS]
    supportive = [r for r in rows if r[0] == "Supportive"]
    result = {
        "file": str(path),
        "n_users": len(rows),
        "n_posts": len(times),
        "recall_high": _ratio(sum(1 for r in at_risk if r[1] >= 2), len(at_risk)),
        "false_high_supportive": _ratio(sum(1 for r in supportive if r[1] >= 2), len(supportive)),
        "keyword_recall_high": _ratio(sum(1 for r in at_risk if r[2] >= 2), len(at_risk)),
        "keyword_false_high_supportive": _ratio(sum(1 for r in supportive if r[2] >= 2), len(supportive)),
        "recall_behavior_attempt_l3": _ratio(
            sum(1 for r in rows if r[0] in ("Behavior", "Attempt") and r[1] == 3),
            sum(1 for r in rows if r[0] in ("Behavior", "Attempt"))),
        "p50_us": round(_pct(times, 0.50), 1),
        "p99_us": round(_pct(times, 0.99), 1),
    }
    print(f"Per-user maximum level on {path} ({len(rows)} users, {len(times)} posts)", file=out)
    print("Data: Reddit C-SSRS dataset, Gaur et al., WWW '19 Companion (CC BY 4.0); evaluation only.",
          file=out)
    print("", file=out)
    print("label          users   max level: 0    1    2    3    keyword hit", file=out)
    for label in ("Supportive", "Indicator", "Ideation", "Behavior", "Attempt"):
        group = [r for r in rows if r[0] == label]
        if not group:
            continue
        cnt = Counter(r[1] for r in group)
        kw = sum(1 for r in group if r[2] >= 2)
        cells = "".join(f"{cnt.get(k, 0):5d}" for k in range(4))
        print(f"  {label:<12} {len(group):5d}          {cells}   {kw:5d}", file=out)
    print("", file=out)
    print(f"  {'':<34}{'detector':>10}{'keywords':>10}", file=out)
    print(f"  {'at-risk users raised to 2-3':<34}{result['recall_high']:>10.3f}"
          f"{result['keyword_recall_high']:>10.3f}", file=out)
    print(f"  {'supportive users raised to 2-3':<34}{result['false_high_supportive']:>10.3f}"
          f"{result['keyword_false_high_supportive']:>10.3f}", file=out)
    print(f"  {'latency p50 / p99 per post (us)':<34}{result['p50_us']:>10.1f} / {result['p99_us']:.1f}",
          file=out)
    if show_errors:
        print("", file=out)
        for label, best, kw, bp in rows:
            if (label == "Supportive" and best >= 2) or (label in AT_RISK_LABELS and best < 2):
                print(f"  {label} -> {best} (keyword {kw})", file=out)
                if bp:
                    print(f"        {'; '.join(bp[1].reasons[:3])}", file=out)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m moderation.evaluate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", type=Path)
    ap.add_argument("--users", action="store_true", help="score a JSONL file per user (C-SSRS format)")
    ap.add_argument("--errors", action="store_true", help="list the rows the detector got wrong")
    args = ap.parse_args(argv)
    try:
        if args.users:
            result = evaluate_users(args.file, args.errors)
        else:
            result = evaluate_tsv(args.file, args.errors)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("")
    print(json.dumps(result, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
