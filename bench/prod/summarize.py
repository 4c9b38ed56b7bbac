#!/usr/bin/env python3
"""Tables for one bench/prod run: `summarize.py bench/results/<stamp>/prod` prints Markdown and
writes summary.json beside it. Reads w<N>/{chat.json,forum.json,mem.jsonl,setup.json}."""

from __future__ import annotations

import json
import sys
from pathlib import Path

# The single-process figures this is compared with (bench/chat/README.md, "After the presence
# fix", 2026-11-23 16:26, medians of 3): one gunicorn gevent worker, SQLite, plain HTTP, no
# proxy, one room, 200 lines at 20 lines/s, chat_fanout.py.
SINGLE = [
    {"members": 200, "p50": 18.2, "p99": 42.4, "lost": 0, "connect_p99_s": 0.7},
    {"members": 500, "p50": 23.5, "p99": 183.2, "lost": 0, "connect_p99_s": 1.1},
]


def load(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def mb(kb) -> str:
    return "–" if kb is None else f"{kb / 1024:.0f}"


def f(x, nd=1) -> str:
    if x is None:
        return "–"
    return f"{x:,.{nd}f}" if isinstance(x, float) else f"{x:,}"


def memory(samples: list[dict]) -> dict:
    """Per process: RSS before the members connected (idle), right after they joined (first
    'run' sample), peak, last sample of the run; CPU % over the run phase."""
    if not samples:
        return {}
    idle = [s for s in samples if s.get("phase") == "idle"]
    run = [s for s in samples if s.get("phase") == "run"] or [s for s in samples if s.get("phase") in ("run", "drain")]
    first_run, last_run = (run[0], run[-1]) if run else (samples[0], samples[-1])
    base = idle[-1] if idle else samples[0]
    span = max(1e-9, last_run["t"] - first_run["t"])

    def series(get):
        vals = [get(s) for s in samples]
        return [v for v in vals if v is not None]

    out = {}
    names = list(base.get("workers", {}))
    for n in names:
        g = lambda s, n=n, k="rss_kb": (s.get("workers", {}).get(n) or {}).get(k)  # noqa: E731
        cpu0, cpu1 = g(first_run, k="cpu_s"), g(last_run, k="cpu_s")
        conns = series(lambda s, n=n: (s.get("workers", {}).get(n) or {}).get("conns") if s.get("phase") == "run" else None)
        out[n] = {"idle": g(base), "joined": g(first_run), "peak": max(series(g) or [0]), "end": g(last_run),
                  "master": g(last_run, k="master_rss_kb"),
                  "cpu_pct": round(100 * (cpu1 - cpu0) / span, 1) if cpu0 is not None and cpu1 is not None else None,
                  "conns_run": max(conns) if conns else None}
    for name in ("postgres", "redis", "haproxy"):
        g = lambda s, name=name, k="rss_kb": (s.get(name) or {}).get(k)  # noqa: E731
        cpu0, cpu1 = g(first_run, k="cpu_s"), g(last_run, k="cpu_s")
        out[name] = {"idle": g(base), "joined": g(first_run), "peak": max(series(g) or [0]), "end": g(last_run),
                     "cpu_pct": round(100 * (cpu1 - cpu0) / span, 1) if cpu0 is not None and cpu1 is not None else None}
        if name == "postgres":
            out[name]["pss_end"] = g(last_run, k="pss_kb")
            out[name]["pss_peak"] = max(series(lambda s: (s.get("postgres") or {}).get("pss_kb")) or [0])
            out[name]["procs_end"] = g(last_run, k="procs")
    clients = 0.0
    for pid, v in (last_run.get("clients") or {}).items():
        v0 = (first_run.get("clients") or {}).get(pid) or {}
        if v.get("cpu_s") is not None and v0.get("cpu_s") is not None:
            clients += v["cpu_s"] - v0["cpu_s"]
    busy = (last_run["machine_busy_s"] - first_run["machine_busy_s"]) / span
    ours = sum((out[n]["cpu_pct"] or 0) for n in out) / 100 + clients / span
    # Stall indicators: the slowest /healthz straight to each worker (HAProxy marks a worker down
    # after 2 failed checks 1 s apart), and who held PostgreSQL connections at the worst sample.
    hz = {}
    for n in names:
        vals = [(s.get("workers", {}).get(n) or {}).get("healthz_ms") for s in samples if s.get("phase") in ("run", "drain")]
        slow = [v for v in vals if isinstance(v, (int, float))]
        hz[n] = {"max_ms": max(slow) if slow else None, "over_1s": sum(1 for v in slow if v > 1000),
                 "failed": sum(1 for v in vals if isinstance(v, str)), "samples": len(vals)}
    acts = [s.get("pg_activity") or {} for s in samples if s.get("phase") in ("run", "drain")]
    worst = max(acts, key=lambda a: sum(v for v in a.values() if isinstance(v, int)), default={})
    out_stall = {"healthz": hz, "pg_worst": worst}
    out["machine"] = {"busy_pct": round(100 * busy, 1), "clients_cpu_pct": round(100 * clients / span, 1),
                      "other_cpu_pct": round(100 * (busy - ours), 1), "span_s": round(span, 1)}
    out["stall"] = out_stall
    return out


def main() -> None:
    out = Path(sys.argv[1])
    modes = sorted((p for p in out.glob("w*") if p.is_dir()), key=lambda p: -int(p.name[1:]))
    rows, summary = [], {}
    for m in modes:
        chat, forum = load(m / "chat.json"), load(m / "forum.json")
        samples = [json.loads(ln) for ln in (m / "mem.jsonl").read_text().splitlines() if ln.strip()] \
            if (m / "mem.jsonl").exists() else []
        summary[m.name] = {"chat": chat, "forum": forum, "memory": memory(samples), "setup": load(m / "setup.json")}
        rows.append(m.name)

    print(f"# bench/prod: {out}\n")
    vt = out / "versions.txt"
    if vt.exists():
        print("```\n" + vt.read_text().strip() + "\n```\n")
    print("## Chat (websocket through HAProxy, TLS) and forum readers, same run\n")
    print("| workers | load s | members joined | rooms × size | lines/s sent | delivery p50 / p99 / max ms | ack p50 / p99 ms "
          "| expected / lost (of them: members never disconnected) / dup / reord (sender) / reord (id) | disconnects | chat errors | connect+join p50 / p99 ms "
          "| forum GETs/s (asked) | forum p50 / p99 ms | forum errors / non-2xx | client CPU % (chat send / forum) | other CPU % |")
    print("|---" * 15 + "|")
    for name in rows:
        s = summary[name]
        c, fo, mem = s["chat"] or {}, s["forum"] or {}, s["memory"]
        lat, ack, fl = c.get("latency") or {}, c.get("ack") or {}, fo.get("latency") or {}
        sizes = c.get("room_sizes") or {}
        size = f"{len(sizes)} × {min(sizes.values())}–{max(sizes.values())}" if sizes else "–"
        errs = sum((c.get("errors") or {}).values()) + sum((c.get("send_errors") or {}).values())
        ferrs = sum((fo.get("errors") or {}).values())
        print(f"| {name[1:]} | {f(c.get('duration_s'), 0)} | {c.get('joined', '–')}/{c.get('members', '–')} | {size} "
              f"| {f(c.get('lines_per_s'), 2)} | {f(lat.get('p50_ms'))} / {f(lat.get('p99_ms'))} / {f(lat.get('max_ms'))} "
              f"| {f(ack.get('p50_ms'))} / {f(ack.get('p99_ms'))} "
              f"| {f(c.get('expected'))} / {f(c.get('lost'))} ({f(c.get('lost_never_disconnected'))}) / {f(c.get('duplicates'))} / {f(c.get('reordered'))} / {f(c.get('reordered_by_id'))} "
              f"| {c.get('disconnects', '–')} | {errs} | {f(c.get('connect_join_p50_ms'), 0)} / {f(c.get('connect_join_p99_ms'), 0)} "
              f"| {f(fo.get('achieved_per_s'))} ({f(fo.get('rate'), 0)}) | {f(fl.get('p50_ms'))} / {f(fl.get('p99_ms'))} "
              f"| {ferrs} / {fo.get('non_2xx_3xx', '–')} | {f(c.get('client_cpu_pct_send'))} / {f(fo.get('client_cpu_pct'))} "
              f"| {f((mem.get('machine') or {}).get('other_cpu_pct'))} |")
    print()
    print("Single process, for comparison (bench/chat/README.md, after the presence fix; one gunicorn gevent "
          "worker, SQLite, plain HTTP, no proxy, ONE room of all members, 200 lines at 20 lines/s, medians of 3):")
    print()
    print("| members | delivery p50 / p99 ms | lost | connect+join p99 s |")
    print("|---|---|---|---|")
    for r in SINGLE:
        print(f"| {r['members']} | {r['p50']} / {r['p99']} | {r['lost']} | {r['connect_p99_s']} |")
    print()
    print("## Memory (RSS MB) and CPU per process\n")
    print("idle: before the members connected; joined: first sample of the load phase; peak: over the whole pass; "
          "end: last sample of the load phase (while the forum readers ran). CPU: % of one core over that phase. "
          "PostgreSQL: postmaster + backends, RSS summed (shared buffers counted in every backend) and PSS.\n")
    print("| workers | process | members on it | sockets (max) | RSS idle | joined | peak | end | CPU % |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in rows:
        s = summary[name]
        mem, c = s["memory"], s["chat"] or {}
        per = c.get("members_per_worker") or {}
        for proc, v in mem.items():
            if proc in ("machine", "stall"):
                continue
            label = proc
            extra = ""
            if proc == "postgres":
                label = f"PostgreSQL ({v.get('procs_end')} procs; PSS end {mb(v.get('pss_end'))}, peak {mb(v.get('pss_peak'))})"
            elif proc.startswith("w"):
                label = f"worker {proc} (master {mb(v.get('master'))})"
                extra = per.get(proc, "–")
            print(f"| {name[1:]} | {label} | {extra} | {v.get('conns_run', '') or ''} | {mb(v['idle'])} | {mb(v['joined'])} "
                  f"| {mb(v['peak'])} | {mb(v['end'])} | {f(v.get('cpu_pct'))} |")
        mm = mem.get("machine") or {}
        st = mem.get("stall") or {}
        if st:
            print(f"| {name[1:]} | /healthz straight to each worker, worst: " + ", ".join(
                f"{w} {f(v['max_ms'], 0)} ms ({v['over_1s']} > 1 s, {v['failed']} failed of {v['samples']})"
                for w, v in (st.get("healthz") or {}).items()) + f"; PostgreSQL connections at the worst sample: {st.get('pg_worst')} | | | | | | | |")
        print(f"| {name[1:]} | machine: busy {f(mm.get('busy_pct'))} % of 200, load clients {f(mm.get('clients_cpu_pct'))} %, "
              f"other {f(mm.get('other_cpu_pct'))} % | | | | | | | |")
    print()
    print("## Chat delivery latency per receiving worker, and over time\n")
    for name in rows:
        c = summary[name]["chat"] or {}
        per = c.get("latency_per_worker") or {}
        print(f"{name[1:]} worker(s): " + "; ".join(
            f"{w}: {v.get('members')} members, p50 {f(v.get('p50_ms'))} / p99 {f(v.get('p99_ms'))} ms" for w, v in per.items()))
        win = c.get("latency_windows") or []
        print("  per 30 s window of send time (p50 / p99 ms): " + ", ".join(
            f"{x['from_s']}s {f(x['p50_ms'])}/{f(x['p99_ms'])}" for x in win))
        fo = summary[name]["forum"] or {}
        by = fo.get("latency_by_page") or {}
        print(f"  forum by page (p50 / p99 ms): " + ", ".join(f"{k} {f(v.get('p50_ms'))}/{f(v.get('p99_ms'))} (n={v.get('n')})" for k, v in by.items())
              + f"; served by (new HAProxy cookies): {fo.get('served_by_new_cookie')}; status {fo.get('status')}; errors {fo.get('errors')}")
        if c.get("errors") or c.get("send_errors") or c.get("disconnects"):
            dl = c.get("disconnect_list") or []
            by_t = {}
            for x in dl:
                by_t.setdefault(x["t"], []).append(x)
            print(f"  chat errors: {c.get('errors')}; send errors: {c.get('send_errors')}; "
                  f"disconnects: {c.get('disconnects')}, reasons {c.get('disconnect_reasons')}, "
                  f"first 50 by time: " + ", ".join(f"t={t}s: {len(v)} (workers {sorted(set(x['worker'] for x in v))})" for t, v in by_t.items()))
        print()
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
