#!/usr/bin/env python3
"""Medians of alerts.py runs per (mode, chatters), totals of misses, and the server logs' errors.

    python bench/alerts/summarize.py bench/results/<stamp>/alerts

Reads alerts.jsonl (one line per run) and server-<label>.log; prints a Markdown table and a
verdict against issue 7's target (p99 under 1 s, no miss).
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path

ERR_RE = re.compile(r"Traceback|\bERROR\b|Exception|error:|failed|Cannot send", re.I)


def med(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


def main() -> None:
    out = Path(sys.argv[1])
    runs = [json.loads(x) for x in (out / "alerts.jsonl").read_text().splitlines() if x.strip()]
    groups: dict[tuple, list[dict]] = {}
    for r in runs:
        groups.setdefault((r.get("mode", ""), r["chatters"]), []).append(r)
    log_errors = {}
    for log in sorted(out.glob("server-*.log")):
        lines = [x for x in log.read_text(errors="replace").splitlines() if ERR_RE.search(x)]
        if lines:
            log_errors[log.name] = lines
    print("| mode | chatters | runs | ack->alert p50 ms | p99 ms | max ms | send->alert p50 ms | p99 ms | max ms "
          "| misses / expected | late >1 s | chat ack->alert p99 | post ack->alert p99 | sender chat ack p50/p99 ms "
          "| background lines/s, ack p50/p99 ms | server CPU % | client errors | first line / first post after start, ms |")
    print("|" + "---|" * 17)
    verdict = []
    for (mode, chatters), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        ok = [r for r in rs if "failed" not in r]
        failed = len(rs) - len(ok)
        misses = sum(r["misses"] for r in ok)
        expected = sum(r["expected"] for r in ok)
        late = sum(r["late_over_1s"] for r in ok)
        bg = [r.get("bg") or {} for r in ok]
        errs = {}
        for r in ok:
            for k, v in (r.get("errors") or {}).items():
                errs[k] = errs.get(k, 0) + v
            for k, v in ((r.get("bg") or {}).get("errors") or {}).items():
                errs["bg " + k] = errs.get("bg " + k, 0) + v
        bgtxt = (f"{med([b.get('lines_per_s') for b in bg])}, {med([b.get('ack_p50_ms') for b in bg])}/"
                 f"{med([b.get('ack_p99_ms') for b in bg])}") if chatters else "-"
        p99 = med([r["p99_ms"] for r in ok])
        sp99 = med([r["send_p99_ms"] for r in ok])
        print(f"| {mode} | {chatters} | {len(ok)}{f' (+{failed} failed)' if failed else ''} "
              f"| {med([r['p50_ms'] for r in ok])} | {p99} | {med([r['max_ms'] for r in ok])} "
              f"| {med([r['send_p50_ms'] for r in ok])} | {sp99} | {med([r['send_max_ms'] for r in ok])} "
              f"| {misses} / {expected} | {late} | {med([r['chat_p99_ms'] for r in ok])} "
              f"| {med([r['post_p99_ms'] for r in ok])} "
              f"| {med([r['sender_chat_ack_p50_ms'] for r in ok])}/{med([r['sender_chat_ack_p99_ms'] for r in ok])} "
              f"| {bgtxt} | {med([r['server_cpu_pct'] for r in ok])} | {sum(errs.values()) or 0} "
              f"| {med([r.get('first_line_ack_ms') for r in ok])} / {med([r.get('first_post_ms') for r in ok])} |")
        met = (failed == 0 and misses == 0 and p99 is not None and p99 < 1000 and sp99 is not None and sp99 < 1000)
        verdict.append(f"- {mode}, {chatters} chatters: {'meets' if met else 'MISSES'} the target "
                       f"(median p99 ack->alert {p99} ms, send->alert {sp99} ms; {misses} misses of {expected}"
                       f"{f'; {failed} failed runs' if failed else ''})"
                       + (f"; client-side errors: {errs}" if errs else ""))
    print()
    print("Target (issue 7): p99 under 1 s and no miss, over every (event, peer) delivery.")
    print("\n".join(verdict))
    print()
    if log_errors:
        print("Server logs with error lines:")
        for name, lines in log_errors.items():
            print(f"- {name}: {len(lines)} lines, first: {lines[0][:200]}")
    else:
        print("Server logs: no error lines.")


if __name__ == "__main__":
    main()
