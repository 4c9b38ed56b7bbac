#!/usr/bin/env bash
# Production-shape load test (issue 8, "Prove it"): Kindred as scripts/stack.sh runs it (HAProxy
# with TLS and sticky cookies, N gunicorn gevent workers, PostgreSQL, Redis), 500 signed-in chat
# members on websockets spread over the workers, plus 50 anonymous forum page reads per second,
# for DURATION seconds; delivery/ack latency, losses, errors, and memory per worker.
#
# Usage:  bench/prod/run.sh                       (~6.5 min: 4 workers, 300 s)
#         MODES="4 1" bench/prod/run.sh           (~13 min: 4 workers then 1 worker, 300 s each)
#         MODES="4 1" DURATION_1=60 bench/prod/run.sh   (+ a 1-worker pass of 60 s, same run)
# Env:    WORKERS=4 (used when MODES is unset)  MODES="$WORKERS" (worker counts, one fresh stack each)
#         DURATION=300 (seconds of load; DURATION_<n> overrides it for the n-worker pass)
#         MEMBERS=500  ROOMS=4 (standing rooms: the Drop-in room + "Bench room N")
#         SENDERS=20 (members that also send)  LINE_RATE=15 (lines/s over all senders)
#         FORUM_RATE=50 (anonymous GETs/s, open loop)  PORT=9443 (HAProxy; PG PORT+50, Redis
#         PORT+51, workers PORT+101..)  SETTLE=5  TIMEOUT=30  INTERVAL=3 (memory samples)
#         KEEP_STACK=0 (1: leave the last stack's directory, stopped, for a look)
# Output: bench/results/<stamp>/prod/{versions.txt,summary.md,summary.json,w<N>/...} and the
#         summary on stdout. w<N>/: chat.json, forum.json, mem.jsonl, setup.json, client and
#         server logs.
# Loopback only (127.0.0.1); every load loop is bounded in time; the stack, the load clients and
# the sampler this script starts are stopped on exit, whatever happens.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
SHARED=$ROOT/../shared/bench
WORKERS=${WORKERS:-4}
MODES=${MODES:-$WORKERS} DURATION=${DURATION:-300} MEMBERS=${MEMBERS:-500} ROOMS=${ROOMS:-4}
SENDERS=${SENDERS:-20} LINE_RATE=${LINE_RATE:-15} FORUM_RATE=${FORUM_RATE:-50} PORT=${PORT:-9443}
SETTLE=${SETTLE:-5} TIMEOUT=${TIMEOUT:-30} INTERVAL=${INTERVAL:-3} KEEP_STACK=${KEEP_STACK:-0}
CACHE=${TMPDIR:-/tmp}/kindred-prod-bench-cache    # the load client's venv when ../shared has none
STACKBASE=${TMPDIR:-/tmp}/kindred-prod-bench      # one fresh stack directory per pass
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$ROOT/bench/results/$STAMP/prod
KPY=$ROOT/.venv/bin/python
mkdir -p "$OUT" "$CACHE"

cur_dir=""   # the stack running now
bg=()        # load clients and sampler started by this script
stop_bg() {
  local pid
  for pid in "${bg[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${bg[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  done
  bg=()
}
stop_stack() {
  [ -n "$cur_dir" ] || return 0
  (cd "$ROOT" && scripts/stack.sh stop "$cur_dir") >/dev/null 2>&1 || true
  [ "$KEEP_STACK" = 1 ] || rm -rf "$cur_dir"
  cur_dir=""
}
cleanup() { stop_bg; stop_stack; return 0; }
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

log "setup"
[ -x "$KPY" ] || (cd "$ROOT" && make setup)
# Load client: ../shared/bench/.venv when it has what we need, else our own venv with its pins.
CPY=$SHARED/.venv/bin/python
if ! { [ -x "$CPY" ] && "$CPY" -c "import socketio, aiohttp" 2>/dev/null; }; then
  CPY=$CACHE/venv/bin/python
  if ! { [ -x "$CPY" ] && "$CPY" -c "import socketio, aiohttp" 2>/dev/null; }; then
    python3 -m venv "$CACHE/venv"
    grep -iE '^(python-socketio|python-engineio|aiohttp|uvloop)' "$SHARED/requirements.txt" >"$CACHE/requirements.txt"
    "$CPY" -m pip install -q --disable-pip-version-check -r "$CACHE/requirements.txt"
  fi
fi
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$PORT" $((PORT + 50)) $((PORT + 51)); do
  port_open "$p" && { echo "port $p is in use: stop that server first (or PORT=...)" >&2; exit 1; }
done
{
  echo "date: $(date -u +%FT%TZ)  host: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(uname -r)"
  echo "kindred: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" status --porcelain -- app config.py wsgi.py gunicorn.conf.py scripts deploy | grep -q . && echo ' (uncommitted changes)')"
  echo "server: python $("$KPY" -V 2>&1 | cut -d' ' -f2); $("$KPY" -m pip freeze 2>/dev/null | grep -iE '^(flask|flask-socketio|python-socketio|python-engineio|gevent|gevent-websocket|greenlet|gunicorn|sqlalchemy|psycopg|redis)==' | tr '\n' ' ')"
  echo "services: $(haproxy -v 2>/dev/null | head -1); $(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1 | xargs -I{} {}/postgres --version); $(redis-server --version | cut -d' ' -f1-3)"
  echo "client ($CPY): python $("$CPY" -V 2>&1 | cut -d' ' -f2); $("$CPY" -m pip freeze 2>/dev/null | grep -iE '^(python-socketio|python-engineio|aiohttp|uvloop)==' | tr '\n' ' ')"
  echo "run: MODES=[$MODES] DURATION=$DURATION MEMBERS=$MEMBERS ROOMS=$ROOMS SENDERS=$SENDERS LINE_RATE=$LINE_RATE FORUM_RATE=$FORUM_RATE PORT=$PORT"
} | tee "$OUT/versions.txt" >&2

for w in $MODES; do
  d=DURATION_$w; dur=${!d:-$DURATION}
  M=$OUT/w$w; mkdir -p "$M"
  dir=$STACKBASE-w$w
  (cd "$ROOT" && scripts/stack.sh stop "$dir") >/dev/null 2>&1 || true
  rm -rf "$dir"
  cur_dir=$dir
  log "== $w worker(s), $dur s: a fresh stack in $dir"
  # KINDRED_SEED_DEMO=1 cannot be used here: stack.sh runs `kindred seed-demo` with the production
  # config, which refuses demo data; the demo data is seeded below with the development config.
  (cd "$ROOT" && KINDRED_EXTRA_ENV="CHAT_LINES_PER_WINDOW=100000 CHAT_WINDOW_SECONDS=1 LOGIN_LIMIT_PER_ADDRESS=100000/minute REGISTER_LIMIT_PER_ADDRESS=100000/hour" \
     scripts/stack.sh start "$dir" "$PORT" "$w") >"$M/stack-start.log" 2>&1 \
    || { tail -20 "$M/stack-start.log" >&2; exit 1; }
  log "seed-demo, $MEMBERS members signed in, $ROOMS rooms"
  (cd "$ROOT" && set -a && . "$dir/kindred.env" && set +a \
     && KINDRED_ENV=development .venv/bin/flask --app wsgi kindred seed-demo >/dev/null \
     && .venv/bin/python "$here/make_members.py" --count "$MEMBERS" --rooms "$ROOMS" --out "$dir/work") \
    >"$M/setup.json" 2>"$M/setup.log" || { tail -20 "$M/setup.log" >&2; exit 1; }
  cat "$M/setup.json" >&2

  work=$dir/work; : >"$work/phase"; : >"$work/clients"
  echo idle >"$work/phase"
  "$KPY" "$here/sample.py" --dir "$dir" --out "$M/mem.jsonl" --stop "$work/stop" --phase-file "$work/phase" \
    --client-pids-file "$work/clients" --base-port $((PORT + 100)) --interval "$INTERVAL" 2>"$M/sample.log" &
  bg+=($!)
  sleep $((INTERVAL * 2))

  log "chat: $MEMBERS members connect and join"
  echo connect >"$work/phase"
  "$CPY" "$here/load.py" chat --url "https://127.0.0.1:$PORT" --cookies "$work/cookies.txt" --rooms "$work/rooms.json" \
    --room-count "$ROOMS" --members "$MEMBERS" --workers "$w" --senders "$SENDERS" --rate "$LINE_RATE" \
    --duration "$dur" --settle "$SETTLE" --timeout "$TIMEOUT" --ready "$work/ready" --out "$M/chat.json" \
    >"$M/chat.out" 2>"$M/chat.log" &
  chat_pid=$!; bg+=($chat_pid); echo "$chat_pid" >>"$work/clients"
  for _ in $(seq $((TIMEOUT * 40 + 600))); do
    [ -f "$work/ready" ] && break
    kill -0 "$chat_pid" 2>/dev/null || break
    sleep 0.25
  done
  [ -f "$work/ready" ] || { echo "the chat client stopped before every member joined:" >&2; tail -20 "$M/chat.log" >&2; exit 1; }
  log "chat: $(cat "$work/ready"); after ${SETTLE}s, $LINE_RATE lines/s for ${dur}s, plus $FORUM_RATE forum GETs/s"
  sleep "$SETTLE"
  echo run >"$work/phase"
  "$CPY" "$here/load.py" forum --url "https://127.0.0.1:$PORT" --urls "$work/urls.txt" --rate "$FORUM_RATE" \
    --duration "$dur" --out "$M/forum.json" >"$M/forum.out" 2>"$M/forum.log" &
  forum_pid=$!; bg+=($forum_pid); echo "$forum_pid" >>"$work/clients"
  limit=$((dur + TIMEOUT * 3 + 120)); t0=$SECONDS
  while kill -0 "$forum_pid" 2>/dev/null || kill -0 "$chat_pid" 2>/dev/null; do
    [ $((SECONDS - t0)) -gt "$limit" ] && { echo "load clients still running after ${limit}s: stopping them" >&2; break; }
    kill -0 "$forum_pid" 2>/dev/null || echo drain >"$work/phase"
    sleep 1
  done
  rc=0; wait "$forum_pid" || rc=$?; [ "$rc" = 0 ] || { echo "forum client failed ($rc):" >&2; tail -5 "$M/forum.log" >&2; }
  rc=0; wait "$chat_pid" || rc=$?; [ "$rc" = 0 ] || { echo "chat client failed ($rc):" >&2; tail -5 "$M/chat.log" >&2; }
  echo done >"$work/phase"; sleep "$INTERVAL"
  touch "$work/stop"; stop_bg
  # Row counts after the run, and every error line the servers logged.
  (cd "$ROOT" && set -a && . "$dir/kindred.env" && set +a && .venv/bin/python - >"$M/db-after.txt" 2>&1 <<'EOF'
import os
from sqlalchemy import create_engine, text
e = create_engine(os.environ["DATABASE_URL"])
with e.connect() as c:
    for t in ("chat_message", "room_presence", "auth_session", "member", "post", "flag"):
        try:
            print(t, c.execute(text(f"select count(*) from {t}")).scalar())
        except Exception as err:  # a table this version does not have
            print(t, type(err).__name__); c.rollback()
EOF
  ) || true
  cp "$dir"/w*.log "$M/" 2>/dev/null || true
  cp "$dir/services/pg.log" "$M/postgres.log" 2>/dev/null || true
  cp "$dir/services/redis.log" "$M/redis.log" 2>/dev/null || true
  stop_stack
done

"$KPY" "$here/summarize.py" "$OUT" | tee "$OUT/summary.md"
log "results in $OUT"
