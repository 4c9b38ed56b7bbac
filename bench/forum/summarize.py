#!/usr/bin/env python3
"""Summarise a bench/forum run: one row per comparison, ratios, and the two targets.

    python bench/forum/summarize.py bench/results/<stamp>      -> Markdown on stdout, summary.json

Reads the JSON line http_compare.sh prints last in each <comparison>.txt.
Targets (from the issue): Kindred's page serves at least 50% of the reference's req/s; the big
thread's p99 on the 1,000,000-post database is within 1.5x of the same page on the small one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ORDER = ["cat", "thread", "deep", "index", "scale_first", "scale_deep"]
WHAT = {
    "cat": "category page vs reference",
    "thread": "big thread, first page vs reference",
    "deep": "big thread, page at post 5,000 (?after=) vs reference",
    "index": "category list (/) vs reference",
    "scale_first": "big thread first page: 1M-post DB vs small DB",
    "scale_deep": "big thread deep page: 1M-post DB vs small DB",
}
RPS_TARGET, P99_TARGET = 0.5, 1.5


def load(path: Path) -> dict | None:
    for line in reversed(path.read_text().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def main(out: Path) -> int:
    rows, summary = [], {}
    for name in ORDER + sorted(p.stem for p in out.glob("*.txt") if p.stem not in ORDER):
        path = out / f"{name}.txt"
        if not path.exists() or name in ("versions", "urls", "summary") or name.startswith("generate"):
            continue
        res = load(path)
        if res is None:
            rows.append(f"| {name} | {WHAT.get(name, '')} | skipped or failed: see {path.name} ||||||||||")
            summary[name] = None
            continue
        a, b = res["a"], res["b"]
        rps = res["rps_ratio_b_over_a"]
        p99 = round(b["p99_ms"] / a["p99_ms"], 2) if a["p99_ms"] else None
        if name.startswith("scale_"):
            ok = p99 is not None and p99 <= P99_TARGET
            target = f"p99 B/A <= {P99_TARGET}: {'yes' if ok else 'NO'}"
        elif name == "index":
            ok, target = None, "(no target)"
        else:
            ok = rps is not None and rps >= RPS_TARGET
            target = f"req/s B/A >= {RPS_TARGET}: {'yes' if ok else 'NO'}"
        busy_file = out / f"{name}.busy"
        # The most CPU other processes used, sampled for 1 s before and after the comparison.
        busy = max((int(line.split(":", 1)[1].split()[0].rstrip("%")) for line in busy_file.read_text().splitlines()
                    if ":" in line), default="?") if busy_file.exists() else "?"
        errors = a["errors"] + b["errors"]
        if errors:
            target += f" ({errors} errors!)"
        summary[name] = {"what": WHAT.get(name, name), "a": a, "b": b, "rps_ratio": rps,
                         "p99_ratio": p99, "target_met": ok, "other_cpu_pct_before": busy}
        rows.append(f"| {name} | {WHAT.get(name, '')} | {a['label']} | {a['rps']:.0f} | {a['p50_ms']:.1f} / {a['p99_ms']:.1f} "
                    f"| {b['label']} | {b['rps']:.0f} | {b['p50_ms']:.1f} / {b['p99_ms']:.1f} | {rps} | {p99} | {target} | {busy} |")
    print("| id | comparison | A | A req/s | A p50 / p99 ms | B | B req/s | B p50 / p99 ms | req/s B/A | p99 B/A | target | other CPU % |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
