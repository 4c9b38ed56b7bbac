#!/usr/bin/env python3
"""Sample the stack's processes from /proc every --interval seconds until --stop appears.

    python sample.py --dir STACKDIR --out mem.jsonl --stop STOPFILE [--phase-file PHASE] [--client-pids "1 2"]

One JSON line per sample: for each gunicorn worker (the child of the master in DIR/wN.pid) its
RSS and CPU seconds and the established TCP connections on its port; the masters; PostgreSQL
(postmaster and all its children: RSS summed, PSS summed, which counts shared buffers once),
Redis, HAProxy; the load clients; and the machine's busy CPU. `phase` is the content of
--phase-file at that moment (run.sh writes idle / connect / run / drain).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
import urllib.request
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def children(pid: int) -> list[int]:
    out = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            out += [int(x) for x in (task / "children").read_text().split()]
    except OSError:
        pass
    return out


def rss_kb(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except OSError:
        return None


def pss_kb(pid: int) -> int | None:
    try:
        m = re.search(r"^Pss:\s+(\d+)", Path(f"/proc/{pid}/smaps_rollup").read_text(), re.M)
        return int(m[1]) if m else None
    except OSError:
        return None


def cpu_s(pid: int) -> float | None:
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / TICK
    except (OSError, IndexError):
        return None


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def established_by_port() -> dict[int, int]:
    """Established TCP connections per local port (IPv4 and IPv6)."""
    counts: dict[int, int] = {}
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            f = ln.split()
            if len(f) > 3 and f[3] == "01":
                port = int(f[1].rsplit(":", 1)[1], 16)
                counts[port] = counts.get(port, 0) + 1
    return counts


def healthz_ms(port: int, timeout: float) -> float | str:
    """Time of one GET /healthz straight to a worker (HAProxy checks the same every second and
    marks a worker down after two failures): ms, or the error."""
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as r:
            r.read()
            if r.status != 200:
                return f"HTTP {r.status}"
    except Exception as err:  # noqa: BLE001 - reported
        return type(err).__name__
    return round((time.perf_counter() - t) * 1000, 1)


def pg_activity(url: str | None) -> dict | None:
    """Kindred's connections in pg_stat_activity by state / wait event (who holds the pool)."""
    if not url:
        return None
    try:
        import psycopg
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=2) as c:
            rows = c.execute("SELECT coalesce(state, '?') || coalesce(':' || wait_event_type, ''), count(*) "
                             "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                             "GROUP BY 1").fetchall()
            return {k: n for k, n in rows}
    except Exception as err:  # noqa: BLE001 - reported
        return {"error": type(err).__name__}


def machine_busy() -> tuple[float, float]:
    f = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = f[3] + f[4]
    return (sum(f) - idle) / TICK, sum(f) / TICK


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--stop", required=True)
    p.add_argument("--phase-file")
    p.add_argument("--client-pids-file", help="file with the load clients' pids, re-read each sample")
    p.add_argument("--base-port", type=int, required=True, help="worker N listens on base + N")
    p.add_argument("--interval", type=float, default=3.0)
    a = p.parse_args()
    d = Path(a.dir)
    db_url = None
    try:
        for ln in (d / "kindred.env").read_text().splitlines():
            if ln.startswith("DATABASE_URL="):
                db_url = ln.split("=", 1)[1].strip()
    except OSError:
        pass
    with open(a.out, "a") as out:
        while not Path(a.stop).exists():
            t = time.time()
            rec: dict = {"t": round(t, 2), "phase": Path(a.phase_file).read_text().strip() if a.phase_file and Path(a.phase_file).exists() else None}
            ports = established_by_port()
            workers = {}
            for pidfile in sorted(d.glob("w*.pid"), key=lambda x: int(x.stem[1:])):
                n = int(pidfile.stem[1:])
                master = read_pid(pidfile)
                kids = children(master) if master else []
                w = kids[0] if kids else None
                workers[f"w{n}"] = {"master": master, "master_rss_kb": rss_kb(master) if master else None,
                                    "pid": w, "rss_kb": rss_kb(w) if w else None, "cpu_s": cpu_s(w) if w else None,
                                    "conns": ports.get(a.base_port + n, 0),
                                    "healthz_ms": healthz_ms(a.base_port + n, a.interval)}
            rec["workers"] = workers
            rec["pg_activity"] = pg_activity(db_url)
            pg = read_pid(d / "services" / "pg" / "postmaster.pid")
            if pg:
                procs = [pg] + children(pg)
                rec["postgres"] = {"procs": len(procs), "rss_kb": sum(rss_kb(x) or 0 for x in procs),
                                   "pss_kb": sum(pss_kb(x) or 0 for x in procs),
                                   "cpu_s": round(sum(cpu_s(x) or 0 for x in procs), 2)}
            for name, path in (("redis", d / "services" / "redis.pid"), ("haproxy", d / "haproxy.pid")):
                pid = read_pid(path)
                if pid:
                    rec[name] = {"pid": pid, "rss_kb": rss_kb(pid), "cpu_s": cpu_s(pid)}
            if a.client_pids_file and Path(a.client_pids_file).exists():
                rec["clients"] = {}
                for pid in Path(a.client_pids_file).read_text().split():
                    rec["clients"][pid] = {"rss_kb": rss_kb(int(pid)), "cpu_s": cpu_s(int(pid))}
            busy, total = machine_busy()
            rec["machine_busy_s"], rec["machine_total_s"] = busy, total
            out.write(json.dumps(rec) + "\n")
            out.flush()
            time.sleep(max(0.1, a.interval - (time.time() - t)))


if __name__ == "__main__":
    main()
