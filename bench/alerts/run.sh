#!/usr/bin/env bash
# Crisis alert latency (issue 7): ack of a level 3 chat line or forum post -> `flag:new` at every
# on-duty peer, while members chat in the drop-in room; beside a reference run with nobody
# chatting, same server, same client, same run.
#
# Usage:  bench/alerts/run.sh              (from anywhere; ~12 min with the defaults)
# Env:    CHATTERS=200 (members chatting; each sends one line every PERIOD s)  PERIOD=10
#         PEERS=20 (peer supporters on duty)  LINES=50 POSTS=10 (level 3 events per run)  GAP=0.5
#         REPEAT=3  MODES="threading gevent" (gevent only if Kindred's .venv has gevent,
#         gevent-websocket and gunicorn)  REFERENCE=1 (also measure with 0 chatters; 0: skip)
#         WARMUP=5 (s of chat before the first event)  PORT=5431  RUN_LIMIT=240 (s, hard limit per run)
# Output: bench/results/<stamp>/alerts/{versions.txt,setup.log,alerts.jsonl,deliveries.jsonl,
#         alerts.md,server-<run>.log} and the table on stdout.
# What runs: one prepared SQLite database (migrations, `kindred seed-demo`, CHATTERS+PEERS+1 bench
# members signed in, PEERS of them granted peer_supporter), a fresh copy of it and a fresh server
# process for every measured run, KINDRED_ENV=test (its cheap argon2: sign-in is not measured
# here), the chat flood limit and the sign-in/sign-up limits raised, escalation pushed to an hour
# so no re-alert lands in the window:
#   threading: flask --app wsgi kindred serve       (Werkzeug + simple-websocket, one process)
#   gevent:    gunicorn -k geventwebsocket...GeventWebSocketWorker -w 1 wsgi:app
# Loopback only (127.0.0.1); every run is bounded (alerts.py's own limits plus RUN_LIMIT); every
# process this script starts is stopped on exit, whatever happens.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
SHARED=$(cd "$ROOT/../shared/bench" 2>/dev/null && pwd || echo "")
CHATTERS=${CHATTERS:-200} PERIOD=${PERIOD:-10} PEERS=${PEERS:-20} LINES=${LINES:-50} POSTS=${POSTS:-10}
GAP=${GAP:-0.5} REPEAT=${REPEAT:-3} MODES=${MODES:-"threading gevent"} REFERENCE=${REFERENCE:-1}
WARMUP=${WARMUP:-5} PORT=${PORT:-5431} RUN_LIMIT=${RUN_LIMIT:-240}
CACHE=${TMPDIR:-/tmp}/kindred-alerts-bench   # load-client venv if ../shared/bench has none

for v in CHATTERS PERIOD PEERS LINES POSTS REPEAT WARMUP PORT RUN_LIMIT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$v must be a whole number" >&2; exit 2; }
done
[ "$CHATTERS" -le 2000 ] && [ "$PEERS" -ge 1 ] && [ "$PEERS" -le 200 ] && [ "$REPEAT" -le 20 ] \
  && [ "$RUN_LIMIT" -le 900 ] || { echo "bounds: CHATTERS<=2000, 1<=PEERS<=200, REPEAT<=20, RUN_LIMIT<=900" >&2; exit 2; }

OUT=$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)/alerts
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kindred-alerts-run.XXXXXX")
KPY=$ROOT/.venv/bin/python
SECRET=kindred-alerts-bench-$RANDOM$RANDOM$RANDOM

pids=()  # every process started in the background, stopped on exit
stop_pid() {  # TERM, up to 10 s, then KILL it and its children
  local pid=$1
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then pkill -9 -P "$pid" 2>/dev/null || true; kill -9 "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  rm -rf "$WORK"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

echo "== setup"
need="import socketio, aiohttp, yarl"
SPY=${SHARED:+$SHARED/.venv/bin/python}
if ! { [ -n "$SPY" ] && [ -x "$SPY" ] && "$SPY" -c "$need" 2>/dev/null; }; then
  SPY=$CACHE/venv/bin/python
  [ -x "$SPY" ] || python3 -m venv "$CACHE/venv"
  if ! "$SPY" -c "$need" 2>/dev/null; then
    echo "installing the load client (python-socketio[asyncio_client], aiohttp) into $CACHE/venv"
    if [ -n "$SHARED" ] && [ -f "$SHARED/requirements.txt" ]; then
      "$SPY" -m pip install -q --disable-pip-version-check \
        $(grep -iE '^(python-socketio\[asyncio_client\]|python-engineio|aiohttp|uvloop)==' "$SHARED/requirements.txt")
    else
      "$SPY" -m pip install -q --disable-pip-version-check "python-socketio[asyncio_client]>=5.11,<6" "aiohttp>=3.9,<4"
    fi
  fi
fi
modes=()
for m in $MODES; do
  case $m in
    threading) modes+=(threading);;
    gevent) if "$KPY" -c "import gevent, geventwebsocket, gunicorn" 2>/dev/null; then modes+=(gevent)
            else echo "gevent mode skipped: Kindred's .venv lacks gevent/gevent-websocket/gunicorn" >&2; fi;;
    *) echo "mode $m: not supported here (threading, gevent)" >&2;;
  esac
done
[ ${#modes[@]} -gt 0 ] || { echo "no mode to run" >&2; exit 2; }
loads=("$CHATTERS"); [ "$REFERENCE" = 1 ] && [ "$CHATTERS" != 0 ] && loads+=(0)
{
  echo "date: $(date -u +%FT%TZ)  host: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(uname -r)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs on this machine skew every figure)"
  echo "kindred: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo ' (uncommitted changes)')"
  echo "kindred venv: python $("$KPY" -V 2>&1 | cut -d' ' -f2); $("$KPY" -m pip freeze 2>/dev/null | grep -iE '^(flask|flask-socketio|python-socketio|python-engineio|simple-websocket|werkzeug|gevent|gevent-websocket|greenlet|gunicorn|sqlalchemy)==' | tr '\n' ' ')"
  echo "client venv ($SPY): python $("$SPY" -V 2>&1 | cut -d' ' -f2); $("$SPY" -m pip freeze 2>/dev/null | grep -iE '^(python-socketio|python-engineio|aiohttp|uvloop)==' | tr '\n' ' ')"
  echo "run: CHATTERS=$CHATTERS PERIOD=$PERIOD PEERS=$PEERS LINES=$LINES POSTS=$POSTS GAP=$GAP REPEAT=$REPEAT MODES=[${modes[*]}] loads=[${loads[*]}] WARMUP=$WARMUP"
} | tee "$OUT/versions.txt"

echo "== Kindred database: migrations, seed-demo, bench members"
kenv=(env KINDRED_ENV=test SECRET_KEY="$SECRET" KINDRED_INSTANCE="$WORK/instance"
      LOGIN_LIMIT_PER_ADDRESS="100000 per minute" LOGIN_LIMIT_PER_PSEUDONYM="100000 per minute"
      REGISTER_LIMIT_PER_ADDRESS="100000 per hour" CHAT_LINES_PER_WINDOW=100000 CHAT_WINDOW_SECONDS=1
      ESCALATE_L3_SECONDS=3600 ESCALATE_L2_SECONDS=3600)
mkdir -p "$WORK/instance"
template=$WORK/template.sqlite3
(cd "$ROOT"
 "${kenv[@]}" DATABASE_URL="sqlite:///$template" .venv/bin/flask --app wsgi db upgrade
 "${kenv[@]}" DATABASE_URL="sqlite:///$template" .venv/bin/flask --app wsgi kindred seed-demo
 "${kenv[@]}" DATABASE_URL="sqlite:///$template" "$KPY" "$here/prepare.py" --chatters "$CHATTERS" --peers "$PEERS" \
   --out "$WORK/cookies"
) >"$OUT/setup.log" 2>&1 || { tail -20 "$OUT/setup.log" >&2; exit 1; }
tail -1 "$OUT/setup.log"

worker_of() {  # the process doing the work: gunicorn's single worker, else the process itself
  local pid=$1 child
  for _ in $(seq 50); do
    child=$(pgrep -P "$pid" | head -1 || true)
    [ -n "$child" ] && { echo "$child"; return; }
    case $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) in *gunicorn*) sleep 0.1;; *) echo "$pid"; return;; esac
  done
  echo "$pid"
}

run_one() {  # run_one MODE CHATTERS REP
  local mode=$1 load=$2 rep=$3 name="$1-c$2-r$3" db=$WORK/run.sqlite3 server rc=0 line
  rm -f "$db" "$db-wal" "$db-shm"; cp "$template" "$db"
  port_open "$PORT" && { echo "port $PORT is already in use: stop that server first" >&2; exit 1; }
  case $mode in
    threading) (cd "$ROOT" && exec "${kenv[@]}" DATABASE_URL="sqlite:///$db" SOCKETIO_ASYNC_MODE=threading \
                  .venv/bin/flask --app wsgi kindred serve --host 127.0.0.1 --port "$PORT") >"$OUT/server-$name.log" 2>&1 &;;
    gevent) (cd "$ROOT" && exec "${kenv[@]}" DATABASE_URL="sqlite:///$db" SOCKETIO_ASYNC_MODE=gevent \
                  .venv/bin/gunicorn --no-control-socket --graceful-timeout 5 -w 1 \
                  -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -b "127.0.0.1:$PORT" wsgi:app) \
                  >"$OUT/server-$name.log" 2>&1 &;;
  esac
  server=$!; pids+=("$server")
  for _ in $(seq 300); do kill -0 "$server" 2>/dev/null || break; port_open "$PORT" && break; sleep 0.1; done
  port_open "$PORT" || { echo "server did not start: see $OUT/server-$name.log" >&2; tail -20 "$OUT/server-$name.log" >&2; exit 1; }
  local wpid; wpid=$(worker_of "$server")
  timeout -k 5 "$RUN_LIMIT" "$SPY" "$here/alerts.py" measure --url "http://127.0.0.1:$PORT" --cookies "$WORK/cookies" \
    --chatters "$load" --peers "$PEERS" --lines "$LINES" --posts "$POSTS" --gap "$GAP" --period "$PERIOD" \
    --warmup "$WARMUP" --max-seconds $((RUN_LIMIT - 10)) --label "$name" --mode "$mode" --server-pid "$wpid" \
    --seed "$rep" --raw "$OUT/deliveries.jsonl" >"$WORK/line.json" 2>>"$OUT/client.log" &
  local client=$!; pids+=("$client")
  wait "$client" || rc=$?
  stop_pid "$server"
  pids=()  # both have ended: forget their ids (never signal a reused pid)
  if [ "$rc" != 0 ] || ! [ -s "$WORK/line.json" ]; then
    echo "  $name: client failed (rc=$rc): see $OUT/client.log" >&2
    echo "{\"label\": \"$name\", \"mode\": \"$mode\", \"chatters\": $load, \"failed\": $rc}" >>"$OUT/alerts.jsonl"
    return 0
  fi
  cat "$WORK/line.json" >>"$OUT/alerts.jsonl"
  "$KPY" - "$WORK/line.json" <<'EOF' >&2
import json, sys
d = json.load(open(sys.argv[1]))
print(f"  {d['label']}: ack->alert p50 {d['p50_ms']} p99 {d['p99_ms']} ms, send->alert p50 {d['send_p50_ms']} "
      f"p99 {d['send_p99_ms']} ms, misses {d['misses']}/{d['expected']}, server CPU {d['server_cpu_pct']}%, "
      f"first line {d.get('first_line_ack_ms')} ms"
      + (f", errors {d['errors']}" if d['errors'] else ""))
EOF
}

echo "== measuring: ${modes[*]} x chatters [${loads[*]}] x $REPEAT"
for rep in $(seq "$REPEAT"); do
  for mode in "${modes[@]}"; do
    # alternate which load goes first, so a slow patch of the machine doesn't favour one
    if [ $((rep % 2)) = 1 ]; then order=("${loads[@]}"); else order=(); for ((i=${#loads[@]}-1; i>=0; i--)); do order+=("${loads[i]}"); done; fi
    for load in "${order[@]}"; do run_one "$mode" "$load" "$rep"; done
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/versions.txt"

echo "== results ($OUT)"
"$KPY" "$here/summarize.py" "$OUT" | tee "$OUT/alerts.md"
