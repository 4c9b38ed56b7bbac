#!/usr/bin/env python3
"""Run ../shared/bench/chat_fanout.py once and add to its JSON line what the machine was doing.

    python bench/chat/fanout.py --python PY --script chat_fanout.py --own-pids "PID ..." \
        --set mode=gevent --set rep=1 --time-limit 300 -- <chat_fanout.py options>

Adds `other_cpu_pct`: CPU (% of one core) used during the run by processes that are neither the
load client nor the server (--own-pids), from /proc/stat. The machine has two cores shared by
client and server; anything else running skews the figures, so a high value marks a noisy run.
If the client fails or overruns --time-limit, prints a line that counts every message as lost,
so the summary shows the failure instead of dropping the run. Standard library only.
"""
import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def busy_ticks() -> int:
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal: busy = all but idle and iowait
    return sum(fields[:8]) - fields[3] - fields[4]


def pid_ticks(pids) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            total += int(parts[11]) + int(parts[12])
        except OSError:
            pass
    return total


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--python", required=True)
    p.add_argument("--script", required=True)
    p.add_argument("--own-pids", default="", help="server processes (excluded from other_cpu_pct)")
    p.add_argument("--set", action="append", default=[], help="key=value added to the JSON line")
    p.add_argument("--time-limit", type=float, default=300)
    p.add_argument("--progress", help="also write a one-line digest of the result to this file")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    a = p.parse_args()
    args = a.rest[1:] if a.rest[:1] == ["--"] else a.rest
    pids = [int(x) for x in a.own_pids.split()]

    t0, b0, s0 = time.monotonic(), busy_ticks(), pid_ticks(pids)
    proc = subprocess.Popen([a.python, a.script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=a.time_limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err = (err or "") + f"\nchat_fanout.py overran {a.time_limit:.0f} s and was killed"
    wall = time.monotonic() - t0
    b1, s1 = busy_ticks(), pid_ticks(pids)
    # The client has exited and been waited for: its CPU is in our children's rusage.
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_s = ru.ru_utime + ru.ru_stime
    other = max(0.0, ((b1 - b0) - (s1 - s0)) / TICK - client_s)
    line = next((ln for ln in (out or "").splitlines() if ln.startswith("{")), None)
    if line is None:
        opt = dict(zip(args[::2], args[1::2]))
        clients, messages = int(opt.get("--clients", 100)), int(opt.get("--messages", 200))
        msg = (err or "").strip().splitlines()[-1:] or ["no output"]
        rec = {"label": opt.get("--label", ""), "clients": clients, "connected": 0, "messages": messages,
               "rate": float(opt.get("--rate", 20)), "delivered": 0, "expected": clients * messages,
               "lost": clients * messages, "duplicates": 0, "reordered": 0,
               "errors": {f"chat_fanout.py failed: {msg[0][:160]}": 1}}
    else:
        rec = json.loads(line)
    if err and err.strip():
        sys.stderr.write(err[-2000:])
    rec["other_cpu_pct"] = round(100 * other / wall, 1)
    rec["wall_s"] = round(wall, 1)
    for kv in a.set:
        k, _, v = kv.partition("=")
        rec[k] = int(v) if v.isdigit() else v
    print(json.dumps(rec), flush=True)
    if a.progress:
        with open(a.progress, "a") as f:  # "a": the fd may be a log file
            keys = ("clients", "p50_ms", "p99_ms", "lost", "duplicates", "reordered", "msgs_per_s",
                    "server_cpu_us_per_msg", "connect_p99_ms", "other_cpu_pct", "errors")
            f.write(f"   {rec['label']:<18} " + " ".join(f"{k}={rec.get(k)}" for k in keys) + "\n")


if __name__ == "__main__":
    main()
