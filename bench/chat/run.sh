#!/usr/bin/env bash
# Chat fan-out benchmark (issue 6): Kindred's /chat with real signed-in members, beside the
# reference Flask-SocketIO server in the same async mode (and Node), same client, same run.
#
# Usage:  bench/chat/run.sh                 (from anywhere; ~15 min with the defaults)
# Env:    CLIENTS="50 200 500"  MESSAGES=200  RATE=20  REPEAT=3
#         MODES="threading gevent"  NODE=1 (also run the Node reference; 0: skip)
#         WARMUP=1 (3 acked lines before each measured run; 0: measure a cold server)
#         TIMEOUT=30 (chat_fanout.py --timeout)  TARGET_CLIENTS=200
#         PROBE=1 (also count room:presence traffic per join phase, presence_probe.py; default 0)
#         VARIANTS="presence" (diagnosis: also Kindred with room:presence broadcasts off; default none)
# Output: bench/results/<stamp>/chat/{versions.txt,chat.jsonl,chat.md,server-*.log}
#         and the tables on stdout.
# What runs: a fresh copy of one prepared SQLite database (migrated, `kindred seed-demo`,
# max(CLIENTS)+2 bench members signed in through /login) for every Kindred server start; a fresh
# server process for every measured run; Kindred in production config (KINDRED_ENV=production,
# cookie __Host-kindred) with the chat flood limit raised for the sender:
#   threading: flask --app wsgi kindred serve       (Werkzeug + simple-websocket)
#   gevent:    gunicorn -k geventwebsocket...GeventWebSocketWorker -w 1 wsgi:app
# References (../shared/bench): ref_flask_socketio.py --mode <mode>, node ref_node_socketio.
# Loopback only (127.0.0.1); every run is bounded (chat_fanout --timeout, plus a hard limit);
# every server this script starts is stopped on exit, whatever happens.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
SHARED=$(cd "$ROOT/../shared/bench" && pwd)
CLIENTS=${CLIENTS:-"50 200 500"} MESSAGES=${MESSAGES:-200} RATE=${RATE:-20} REPEAT=${REPEAT:-3}
MODES=${MODES:-"threading gevent"} NODE=${NODE:-1} WARMUP=${WARMUP:-1} TIMEOUT=${TIMEOUT:-30}
TARGET_CLIENTS=${TARGET_CLIENTS:-200}
PROBE=${PROBE:-0}         # 1: also measure room:presence traffic while the room fills (presence_probe.py)
VARIANTS=${VARIANTS:-}   # "presence": also run Kindred with room:presence broadcasts off (diag_wsgi.py)
PORT_KINDRED=${PORT_KINDRED:-5411} PORT_REF=${PORT_REF:-5412} PORT_NODE=${PORT_NODE:-5413}
CACHE=${TMPDIR:-/tmp}/kindred-chat-bench   # load-client venv and node_modules if ../shared has none

OUT=$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)/chat
mkdir -p "$OUT" "$CACHE"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kindred-chat-run.XXXXXX")
KPY=$ROOT/.venv/bin/python
SECRET=kindred-chat-bench-$RANDOM$RANDOM

pids=()      # every server started, stopped on exit
cur_pid=""   # the one running now
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
exec 3>&2  # progress lines, while the clients' stderr goes to client.log

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_server() {  # start_server LOG PORT CMD...: CMD in the background, wait up to 30 s for PORT
  local log=$1 port=$2; shift 2
  port_open "$port" && { echo "port $port is already in use: stop that server first" >&2; exit 1; }
  "$@" >"$log" 2>&1 & cur_pid=$!
  pids+=("$cur_pid")
  for _ in $(seq 300); do
    kill -0 "$cur_pid" 2>/dev/null || break
    port_open "$port" && return 0
    sleep 0.1
  done
  echo "server on port $port did not start: see $log" >&2; tail -20 "$log" >&2; exit 1
}
stop_server() { [ -n "$cur_pid" ] && stop_pid "$cur_pid"; cur_pid=""; return 0; }

echo "== setup"
# Load client and reference servers: ../shared/bench/.venv as its README sets it up; if it is
# missing or incomplete, a venv of our own under $CACHE with its pinned requirements.
need="import socketio, aiohttp, flask_socketio"
case " $MODES " in *" gevent "*) need="$need, gevent, geventwebsocket";; esac
case " $MODES " in *" eventlet "*) need="$need, eventlet";; esac
SPY=$SHARED/.venv/bin/python
if ! { [ -x "$SPY" ] && "$SPY" -c "$need" 2>/dev/null; }; then
  SPY=$CACHE/venv/bin/python
  [ -x "$SPY" ] || python3 -m venv "$CACHE/venv"
  "$SPY" -m pip install -q --disable-pip-version-check -r "$SHARED/requirements.txt"
fi
pin() { grep -iE "^$1==" "$SHARED/requirements.txt" | head -1; }
# Kindred's own server stack for the modes asked for (gevent: gunicorn + gevent-websocket).
case " $MODES " in *" gevent "*)
  if ! "$KPY" -c "import gevent, geventwebsocket, gunicorn" 2>/dev/null; then
    echo "installing $(pin gevent) $(pin gevent-websocket) $(pin 'gunicorn(\[gevent\])?' | sed 's/\[gevent\]//') into $ROOT/.venv"
    "$ROOT/.venv/bin/pip" install -q --disable-pip-version-check "$(pin gevent)" "$(pin gevent-websocket)" \
      "$(pin 'gunicorn(\[gevent\])?' | sed 's/\[gevent\]//')"
  fi;;
esac
case " $MODES " in *" eventlet "*)
  "$KPY" -c "import eventlet" 2>/dev/null || "$ROOT/.venv/bin/pip" install -q --disable-pip-version-check "$(pin eventlet)";;
esac
if [ "$NODE" = 1 ]; then
  if [ -d "$SHARED/ref_node_socketio/node_modules" ]; then NODEDIR=$SHARED/ref_node_socketio
  elif command -v npm >/dev/null && command -v node >/dev/null; then
    NODEDIR=$CACHE/ref_node_socketio; mkdir -p "$NODEDIR"
    cp "$SHARED"/ref_node_socketio/{package.json,package-lock.json,server.js} "$NODEDIR/"
    [ -d "$NODEDIR/node_modules" ] || (cd "$NODEDIR" && npm ci --no-audit --no-fund --loglevel=error) \
      || { echo "npm ci failed: skipping the Node reference" >&2; NODE=0; }
  else echo "no node/npm: skipping the Node reference" >&2; NODE=0; fi
fi
{
  echo "date: $(date -u +%FT%TZ)  host: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(uname -r)"
  echo "kindred: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo ' (uncommitted changes)')"
  echo "kindred venv: python $("$KPY" -V 2>&1 | cut -d' ' -f2); $("$KPY" -m pip freeze 2>/dev/null | grep -iE '^(flask|flask-socketio|python-socketio|python-engineio|simple-websocket|werkzeug|gevent|gevent-websocket|greenlet|gunicorn|eventlet|sqlalchemy)==' | tr '\n' ' ')"
  echo "client/ref venv ($SPY): python $("$SPY" -V 2>&1 | cut -d' ' -f2); $("$SPY" -m pip freeze 2>/dev/null | grep -iE '^(flask-socketio|python-socketio|python-engineio|aiohttp|uvloop|gevent|gevent-websocket|eventlet|simple-websocket|werkzeug)==' | tr '\n' ' ')"
  [ "$NODE" = 1 ] && echo "node $(node --version); socket.io $(node -p "require('$NODEDIR/node_modules/socket.io/package.json').version")"
  echo "run: CLIENTS=[$CLIENTS] MESSAGES=$MESSAGES RATE=$RATE REPEAT=$REPEAT MODES=[$MODES] NODE=$NODE WARMUP=$WARMUP TIMEOUT=$TIMEOUT VARIANTS=[$VARIANTS] PROBE=$PROBE"
} | tee "$OUT/versions.txt"

echo "== Kindred database: migrations, seed-demo, bench members"
max=0; for n in $CLIENTS; do [ "$n" -gt "$max" ] && max=$n; done
MEMBERS=$((max + 2))   # clients + the sender + one for the warm-up
kenv=(env KINDRED_ENV=production SECRET_KEY="$SECRET" KINDRED_INSTANCE="$WORK/instance"
      CHAT_LINES_PER_WINDOW=100000 CHAT_WINDOW_SECONDS=1
      LOGIN_LIMIT_PER_ADDRESS="100000 per minute" LOGIN_LIMIT_PER_PSEUDONYM="100000 per minute")
template=$WORK/template.sqlite3
(cd "$ROOT"
 "${kenv[@]}" KINDRED_ENV=development DATABASE_URL="sqlite:///$template" .venv/bin/flask --app wsgi db upgrade
 "${kenv[@]}" KINDRED_ENV=development DATABASE_URL="sqlite:///$template" .venv/bin/flask --app wsgi kindred seed-demo
) >"$OUT/setup.log" 2>&1 || { tail -20 "$OUT/setup.log" >&2; exit 1; }
users=$(cd "$ROOT" && "${kenv[@]}" DATABASE_URL="sqlite:///$template" SOCKETIO_ASYNC_MODE=threading \
        "$KPY" "$here/make_users.py" --count "$MEMBERS" --cookies "$WORK/cookies.txt" 2>>"$OUT/setup.log") \
  || { tail -20 "$OUT/setup.log" >&2; exit 1; }
echo "$users" | tee -a "$OUT/setup.log"
ROOM=$(echo "$users" | "$KPY" -c 'import json,sys; print(json.load(sys.stdin)["room"])')

kindred_cmd() {  # kindred_cmd MODE PORT DB [OFF]: the Kindred server command (OFF: see diag_wsgi.py)
  local mode=$1 port=$2 db=$3 off=${4:-}
  local e=("${kenv[@]}" DATABASE_URL="sqlite:///$db" SOCKETIO_ASYNC_MODE="$mode") app=wsgi gapp="wsgi:app" pp=""
  if [ -n "$off" ]; then e+=(KINDRED_BENCH_OFF="$off"); app=$here/diag_wsgi.py; gapp=diag_wsgi:app; pp="--pythonpath ${here@Q}"; fi
  case $mode in
    threading) echo "${e[@]@Q} $ROOT/.venv/bin/flask --app ${app@Q} kindred serve --host 127.0.0.1 --port $port";;
    gevent) echo "${e[@]@Q} $ROOT/.venv/bin/gunicorn --no-control-socket --graceful-timeout 5 -w 1 $pp" \
                 "-k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -b 127.0.0.1:$port $gapp";;
    *) echo "mode $mode: Kindred has no server command for it here (gunicorn 27 has no eventlet worker)" >&2; return 1;;
  esac
}
worker_of() {  # the process doing the work: gunicorn's single worker, else the process itself
  local pid=$1 child
  for _ in $(seq 50); do
    child=$(pgrep -P "$pid" | head -1 || true)
    [ -n "$child" ] && { echo "$child"; return; }
    case $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) in *gunicorn*) sleep 0.1;; *) echo "$pid"; return;; esac
  done
  echo "$pid"
}

measure() {  # measure LABEL PORT N REP MODE [kindred]: warm up, one chat_fanout run, append to chat.jsonl
  local label=$1 port=$2 n=$3 rep=$4 mode=$5 kind=${6:-ref} work_pid own
  work_pid=$(worker_of "$cur_pid"); own="$cur_pid $work_pid"
  local proto=() warm=() cookies=()
  if [ "$kind" = kindred ]; then  # Kindred's protocol (docs/chat-protocol.md); the references use the defaults
    proto=(--namespace /chat --join-event room:join --send-event message:send --room "$ROOM")
    warm=(--cookie-file "$WORK/cookies.txt" --cookie-line $((MEMBERS - 1)) --acked-send)
    cookies=(--message-event message:new --cookie-file "$WORK/cookies.txt")
  fi
  if [ "$WARMUP" = 1 ]; then
    timeout 120 "$SPY" "$here/warmup.py" --url "http://127.0.0.1:$port" "${proto[@]}" "${warm[@]}" \
      2>>"$OUT/warmup.log" || echo "warm-up of $label failed (see warmup.log)" >&2
  fi
  "$KPY" "$here/fanout.py" --progress /dev/fd/3 --python "$SPY" --script "$SHARED/chat_fanout.py" --own-pids "$own" \
    --set "mode=$mode" --set "rep=$rep" --time-limit $((TIMEOUT * 3 + 120)) -- \
    --url "http://127.0.0.1:$port" --clients "$n" --messages "$MESSAGES" --rate "$RATE" \
    --timeout "$TIMEOUT" --label "$label" --server-pid "$work_pid" "${proto[@]}" "${cookies[@]}" \
    2>>"$OUT/client.log" >>"$OUT/chat.jsonl"
}

echo "== chat fan-out: clients=[$CLIENTS] messages=$MESSAGES rate=$RATE repeat=$REPEAT modes=[$MODES] room=$ROOM"
for rep in $(seq "$REPEAT"); do
  for n in $CLIENTS; do
    if [ "$NODE" = 1 ]; then
      start_server "$OUT/server-node-$n-$rep.log" "$PORT_NODE" node "$NODEDIR/server.js" "$PORT_NODE"
      measure node "$PORT_NODE" "$n" "$rep" node; stop_server
    fi
    for mode in $MODES; do
      start_server "$OUT/server-ref-$mode-$n-$rep.log" "$PORT_REF" \
        "$SPY" "$SHARED/ref_flask_socketio.py" --mode "$mode" --port "$PORT_REF"
      measure "ref-$mode" "$PORT_REF" "$n" "$rep" "$mode"; stop_server
      for off in "" $VARIANTS; do
        label=kindred-$mode${off:+-no$off}
        cp "$template" "$WORK/run.sqlite3"; rm -f "$WORK/run.sqlite3-wal" "$WORK/run.sqlite3-shm"
        cmd=$(kindred_cmd "$mode" "$PORT_KINDRED" "$WORK/run.sqlite3" "$off")
        start_server "$OUT/server-$label-$n-$rep.log" "$PORT_KINDRED" bash -c "cd ${ROOT@Q} && exec $cmd"
        measure "$label" "$PORT_KINDRED" "$n" "$rep" "$mode" kindred; stop_server
        "$KPY" - "$WORK/run.sqlite3" "$label" "$n" "$rep" >>"$OUT/db-after.txt" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
q = lambda s: db.execute(s).fetchone()[0]
print(f"{sys.argv[2]} clients={sys.argv[3]} rep={sys.argv[4]}: chat_message={q('select count(*) from chat_message')} "
      f"room_presence={q('select count(*) from room_presence')} flag={q('select count(*) from flag')}")
EOF
      done
    done
  done
done

if [ "$PROBE" = 1 ]; then
  echo "== presence probe: room:presence traffic while the room fills up (presence_probe.py)"
  for mode in $MODES; do
    for n in $CLIENTS; do
      cp "$template" "$WORK/run.sqlite3"; rm -f "$WORK/run.sqlite3-wal" "$WORK/run.sqlite3-shm"
      cmd=$(kindred_cmd "$mode" "$PORT_KINDRED" "$WORK/run.sqlite3")
      start_server "$OUT/server-probe-$mode-$n.log" "$PORT_KINDRED" bash -c "cd ${ROOT@Q} && exec $cmd"
      line=$(timeout $((TIMEOUT * 6 + 60)) "$SPY" "$here/presence_probe.py" --url "http://127.0.0.1:$PORT_KINDRED" \
             --clients "$n" --cookie-file "$WORK/cookies.txt" --room "$ROOM" --timeout "$TIMEOUT" 2>>"$OUT/client.log" \
             || echo "{\"clients\": $n, \"error\": \"probe failed or timed out\"}")
      echo "{\"mode\": \"$mode\", ${line#\{}" | tee -a "$OUT/presence.jsonl"
      stop_server
    done
  done
fi

{
  echo "## Kindred vs the reference Flask-SocketIO server in the same async mode"
  echo
  echo "chat_fanout.py: one room, $MESSAGES messages at $RATE msgs/s, medians of $REPEAT run(s), a fresh server per run;"
  echo "lost/dup/reord are totals. Target: no loss, no duplicates; p99 at $TARGET_CLIENTS members within 2x of the reference."
  echo
  "$KPY" "$here/summarize.py" --target-clients "$TARGET_CLIENTS" "$OUT/chat.jsonl"
  for mode in $MODES; do
    echo; echo "### $mode: summarize_chat.py, baseline ref-$mode"; echo
    grep -E "\"label\": \"(ref|kindred)-$mode(-no[a-z]+)?\"" "$OUT/chat.jsonl" | "$SPY" "$SHARED/summarize_chat.py" --baseline "ref-$mode"
  done
  if [ "$NODE" = 1 ]; then
    echo; echo "### every server: summarize_chat.py, baseline node"; echo
    "$SPY" "$SHARED/summarize_chat.py" --baseline node "$OUT/chat.jsonl"
  fi
  echo; echo "### server logs"; echo
  for f in "$OUT"/server-kindred-*.log; do
    c=$(grep -ciE 'traceback|error|exception|locked|failed' "$f" || true)
    [ "$c" -gt 0 ] && echo "- $(basename "$f"): $c error line(s), e.g. $(grep -iE 'traceback|error|exception|locked|failed' "$f" | sort | uniq -c | sort -rn | head -3 | tr -s ' ' | tr '\n' ';')"
  done
  echo "- (Kindred server logs without error lines are not listed)"
  if [ -s "$OUT/presence.jsonl" ]; then echo; echo "### room:presence while the room fills (presence_probe.py)"; echo; cat "$OUT/presence.jsonl"; fi
} | tee "$OUT/chat.md"
echo "== results in $OUT"
