#!/usr/bin/env python3
"""Kindred against the reference Flask-SocketIO server in the same async mode: one row per
(mode, clients, rate), medians over repeats (lost/dup/reord are totals), and the issue-6 targets.

    python bench/chat/summarize.py chat.jsonl [--target-clients 200] [--json]

Labels are `kindred-<mode>` and `ref-<mode>` (and `node`), as bench/chat/run.sh writes them.
Target: no loss and no duplicates at every size, and Kindred's p99 within 2x of the reference's
at --target-clients. Prints Markdown (and with --json one JSON line per row).
"""
import argparse
import json
import statistics
from collections import defaultdict

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("files", nargs="+")
p.add_argument("--target-clients", type=int, default=200)
p.add_argument("--max-ratio", type=float, default=2.0)
p.add_argument("--json", action="store_true")
a = p.parse_args()

runs = defaultdict(list)
for name in a.files:
    for line in open(name):
        if line.startswith("{"):
            r = json.loads(line)
            runs[(r["label"], r["clients"], r["rate"])].append(r)


def med(rs, field):
    vals = [r[field] for r in rs if r.get(field) is not None]
    return statistics.median(vals) if vals else None


def tot(rs, field):
    return sum(r.get(field) or 0 for r in rs)


def fmt(v, nd=1):
    return "-" if v is None else f"{v:.{nd}f}"


ORDER = {"threading": 0, "gevent": 1, "eventlet": 2}
# Kindred labels: kindred-<mode> (the figure) and kindred-<mode>-no<thing> (diagnosis, diag_wsgi.py).
kindred = sorted({(lab, c, rt) for lab, c, rt in runs if lab.startswith("kindred-")},
                 key=lambda k: (ORDER.get(k[0].split("-")[1], 9), -k[2], k[1], k[0]))
cols = ["server", "clients", "rate", "runs K/ref", "Kindred p50/p99 ms", "ref p50/p99 ms", "p99 ratio",
        "Kindred lost/dup/reord", "ref lost/dup/reord", "Kindred µs/msg", "ref µs/msg", "µs/msg ratio",
        "Kindred msgs/s", "ref msgs/s", "connect p99 ms K/ref", "client CPU % K", "other CPU % K", "errors K",
        "target"]
print("| " + " | ".join(cols) + " |\n" + "|---" * len(cols) + "|")
rows = []
for label, clients, rate in kindred:
    k = runs[(label, clients, rate)]
    mode = label.split("-")[1]
    r = runs.get((f"ref-{mode}", clients, rate), [])
    kp99, rp99 = med(k, "p99_ms"), med(r, "p99_ms")
    ratio = kp99 / rp99 if kp99 is not None and rp99 else None
    kus, rus = med(k, "server_cpu_us_per_msg"), med(r, "server_cpu_us_per_msg")
    errs = defaultdict(int)
    for x in k:
        for e, n in (x.get("errors") or {}).items():
            errs[e] += n
    clean = tot(k, "lost") == 0 and tot(k, "duplicates") == 0
    if "-no" in label:
        target = "diagnosis"
    elif clients == a.target_clients:
        target = "PASS" if clean and ratio is not None and ratio <= a.max_ratio else "FAIL"
    else:
        target = "ok" if clean else "FAIL (loss/dup)"
    row = {
        "label": label, "mode": mode, "clients": clients, "rate": rate, "runs": len(k),
        "kindred_p50_ms": med(k, "p50_ms"), "kindred_p99_ms": kp99,
        "ref_p50_ms": med(r, "p50_ms"), "ref_p99_ms": rp99, "p99_ratio": ratio,
        "kindred_lost": tot(k, "lost"), "kindred_dup": tot(k, "duplicates"), "kindred_reord": tot(k, "reordered"),
        "ref_lost": tot(r, "lost"), "ref_dup": tot(r, "duplicates"), "ref_reord": tot(r, "reordered"),
        "kindred_us_per_msg": kus, "ref_us_per_msg": rus, "us_ratio": kus / rus if kus and rus else None,
        "kindred_msgs_per_s": med(k, "msgs_per_s"), "ref_msgs_per_s": med(r, "msgs_per_s"),
        "kindred_connect_p99_ms": med(k, "connect_p99_ms"), "ref_connect_p99_ms": med(r, "connect_p99_ms"),
        "kindred_client_cpu_pct": med(k, "client_cpu_pct"), "kindred_other_cpu_pct": med(k, "other_cpu_pct"),
        "kindred_errors": dict(errs), "target": target,
    }
    rows.append(row)
    print(f"| {label} vs ref-{mode} | {clients} | {rate:g} | {len(k)}/{len(r)} | {fmt(row['kindred_p50_ms'])}/{fmt(kp99)} | "
          f"{fmt(row['ref_p50_ms'])}/{fmt(rp99)} | {fmt(ratio, 2)} | "
          f"{row['kindred_lost']}/{row['kindred_dup']}/{row['kindred_reord']} | "
          f"{row['ref_lost']}/{row['ref_dup']}/{row['ref_reord']} | {fmt(kus)} | {fmt(rus)} | "
          f"{fmt(row['us_ratio'], 2)} | {fmt(row['kindred_msgs_per_s'], 0)} | {fmt(row['ref_msgs_per_s'], 0)} | "
          f"{fmt(row['kindred_connect_p99_ms'], 0)}/{fmt(row['ref_connect_p99_ms'], 0)} | "
          f"{fmt(row['kindred_client_cpu_pct'], 0)} | {fmt(row['kindred_other_cpu_pct'], 0)} | "
          f"{sum(errs.values()) or 0} | {target} |")
if a.json:
    for row in rows:
        print(json.dumps(row))
