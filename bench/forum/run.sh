#!/usr/bin/env bash
# Forum benchmark: Kindred's category and thread pages on a 1,000,000-post community, beside the
# reference topic page (../shared/bench/ref_flask_page.py) in the same run, under gunicorn -w 2.
#
# Usage:  bench/forum/run.sh            (from anywhere; ~8 min with the defaults, DB built once)
# Env:    DURATION=10 ROUNDS=3 CONNECTIONS=50 WARMUP=2   (passed to ../shared/bench/http_compare.sh)
#         BIG="50000 100000 1000000"    members threads posts of the large database
#         SMALL="1000 100 11000"        the same for the small one (the big thread is 10,000 of them)
#         SEED=1  BIG_THREAD_POSTS=10000  CATEGORY=<slug> (default: the big thread's category)
#         ONLY="cat thread deep scale_first scale_deep index"   which comparisons to run
# Output: bench/results/<stamp>/{versions.txt,urls.txt,<comparison>.txt,summary.md,summary.json};
#         databases in bench/results/forum-db/ (reused while the generator, the migrations and the
#         sizes are unchanged; stale ones are deleted).
# Loopback only (127.0.0.1); every load run is bounded by DURATION; the servers this script starts
# are stopped on exit, whatever happens.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
SHARED=$(cd "$ROOT/../shared/bench" && pwd)
export DURATION=${DURATION:-10} ROUNDS=${ROUNDS:-3} CONNECTIONS=${CONNECTIONS:-50} WARMUP=${WARMUP:-2}
read -r BIG_M BIG_T BIG_P <<<"${BIG:-50000 100000 1000000}"
read -r SMALL_M SMALL_T SMALL_P <<<"${SMALL:-1000 100 11000}"
SEED=${SEED:-1} BIG_THREAD_POSTS=${BIG_THREAD_POSTS:-10000}
ONLY=${ONLY:-"cat thread deep scale_first scale_deep index"}
REF_PORT=5201 BIG_PORT=5301 SMALL_PORT=5302

RESULTS=$ROOT/bench/results
DBDIR=$RESULTS/forum-db
OUT=$RESULTS/$(date +%Y%m%d-%H%M%S)
mkdir -p "$DBDIR" "$OUT"
export REF_PAGE_DB=$DBDIR/ref_page.sqlite3
KPY=$ROOT/.venv/bin/python
SPY=$SHARED/.venv/bin/python

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done  # gunicorn: TERM = graceful stop
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then  # still up after 10 s: its workers first, then itself
      pkill -9 -P "$pid" 2>/dev/null || true; kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$OUT/instance"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_server() {  # start_server NAME PORT CMD...: background CMD, wait up to 30 s for PORT
  local name=$1 port=$2 pid; shift 2
  port_open "$port" && { echo "port $port is already in use: stop that server first" >&2; exit 1; }
  "$@" >"$OUT/server-$name.log" 2>&1 & pid=$!
  pids+=("$pid")
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || break
    port_open "$port" && return 0
    sleep 0.1
  done
  echo "$name on port $port did not start: see $OUT/server-$name.log" >&2; tail -20 "$OUT/server-$name.log" >&2; exit 1
}

ours() {  # the pids of the servers this script started, and their workers
  local pid
  for pid in "${pids[@]}"; do echo "$pid"; pgrep -P "$pid" || true; done
}
foreign_cpu() {  # CPU % (of one core) used by processes not ours over 1 s: another job skews figures
  top -b -n2 -d1 -w 200 | awk -v ours=" $(ours | tr '\n' ' ') " '
    /^ *PID /{blk++; next}
    blk==2 && $9+0 > 0 && index(ours, " " $1 " ") == 0 && $12 != "top" {sum += $9; if ($9+0 >= 5) who = who " " $12 "(" $9 "%)"}
    END {printf "%.0f%s\n", sum, who}'
}

echo "== setup"
# The shared tools, set up as ../shared/bench/README.md says (its run_all.sh does the same).
if [ ! -x "$SHARED/.venv/bin/gunicorn" ]; then
  [ -x "$SPY" ] || python3 -m venv "$SHARED/.venv"
  "$SPY" -m pip install -q --disable-pip-version-check -r "$SHARED/requirements.txt"
fi
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
# Kindred itself, in its own .venv (make setup), plus gunicorn to serve it.
[ -x "$KPY" ] || make -C "$ROOT" setup
if [ ! -x "$ROOT/.venv/bin/gunicorn" ]; then
  echo "gunicorn is not in Kindred's .venv: installing it there (it belongs in pyproject.toml)"
  "$KPY" -m pip install -q --disable-pip-version-check gunicorn
fi
{
  echo "date: $(date -u +%FT%TZ)  host: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(uname -r)"
  echo "kindred: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (uncommitted changes)')"
  echo "python $("$KPY" -V 2>&1 | cut -d' ' -f2); sqlite $("$KPY" -c 'import sqlite3; print(sqlite3.sqlite_version)'); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "kindred venv: $("$KPY" -m pip freeze 2>/dev/null | grep -iE '^(flask|flask-sqlalchemy|sqlalchemy|werkzeug|jinja2|gunicorn)==' | tr '\n' ' ')"
  echo "reference venv: $("$SPY" -m pip freeze 2>/dev/null | grep -iE '^(flask|werkzeug|jinja2|gunicorn)==' | tr '\n' ' ')"
  echo "wrk: ${CONNECTIONS} connections, 1 thread, ${ROUNDS} alternating rounds x ${DURATION}s, warm-up ${WARMUP}s"
} | tee "$OUT/versions.txt"

echo "== databases"
# Keyed on the generator, the migrations and the sizes: change any and the database is rebuilt.
schema_key=$(cat "$here/generate.py" "$ROOT"/migrations/versions/*.py | sha256sum | cut -c1-10)
build_db() {  # build_db NAME MEMBERS THREADS POSTS -> prints the database path
  local name=$1 m=$2 t=$3 p=$4 db
  db=$DBDIR/$name-m$m-t$t-p$p-b$BIG_THREAD_POSTS-s$SEED-$schema_key.sqlite3
  if [ -f "$db.json" ] && "$KPY" -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("complete") else 1)' "$db.json"; then
    echo "reusing $db" >&2
  else
    for old in "$DBDIR/$name"-*.sqlite3; do  # stale builds of this scale: 1-2 GB each
      [ -e "$old" ] && rm -f "$old" "$old-wal" "$old-shm" "$old.json"
    done
    (cd "$ROOT" && timeout 1800 "$KPY" bench/forum/generate.py --db "$db" --members "$m" --threads "$t" \
        --posts "$p" --seed "$SEED" --big-thread-posts "$BIG_THREAD_POSTS") 2>&1 | tee "$OUT/generate-$name.log" >&2
  fi
  echo "$db"
}
BIG_DB=$(build_db big "$BIG_M" "$BIG_T" "$BIG_P")
SMALL_DB=$(build_db small "$SMALL_M" "$SMALL_T" "$SMALL_P")
cp "$BIG_DB.json" "$OUT/db-big.json"; cp "$SMALL_DB.json" "$OUT/db-small.json"
(cd "$SHARED" && "$SPY" ref_flask_page.py init >/dev/null)

meta() { "$KPY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, d))' "$1" "$2"; }
BIG_ID=$(meta "$BIG_DB.json" 'big_thread["id"]')
CATEGORY=${CATEGORY:-$(meta "$BIG_DB.json" 'big_thread["category_slug"]')}
BIG_MID=$(meta "$BIG_DB.json" 'big_thread["post_ids"]["middle"]')
SMALL_MID=$(meta "$SMALL_DB.json" 'big_thread["post_ids"]["middle"]')
size='f"{posts / 1e6:.3g}M posts" if posts >= 1e6 else f"{posts / 1e3:.3g}k posts"'
BIG_N=$(meta "$BIG_DB.json" "$size") SMALL_N=$(meta "$SMALL_DB.json" "$size")

echo "== servers"
start_server reference $REF_PORT env -C "$SHARED" REF_PAGE_DB="$REF_PAGE_DB" \
  "$SHARED/.venv/bin/gunicorn" -w 2 --no-control-socket -b 127.0.0.1:$REF_PORT ref_flask_page:app
kindred() {  # kindred NAME PORT DB
  mkdir -p "$OUT/instance/$1"
  start_server "kindred-$1" "$2" env -C "$ROOT" KINDRED_ENV=production SECRET_KEY=bench-not-secret \
    SOCKETIO_ASYNC_MODE=threading DATABASE_URL="sqlite:///$3" KINDRED_INSTANCE="$OUT/instance/$1" \
    RATELIMIT_STORAGE_URI=memory:// "$ROOT/.venv/bin/gunicorn" -w 2 --no-control-socket -b "127.0.0.1:$2" wsgi:app
}
kindred big $BIG_PORT "$BIG_DB"
kindred small $SMALL_PORT "$SMALL_DB"

REF=http://127.0.0.1:$REF_PORT/topic/42?page=2
K=http://127.0.0.1:$BIG_PORT
S=http://127.0.0.1:$SMALL_PORT
declare -A A B LA LB
A[index]=$REF;  B[index]=$K/;                     LA[index]=reference;       LB[index]="kindred / ($BIG_N)"
A[cat]=$REF;    B[cat]=$K/c/$CATEGORY;            LA[cat]=reference;         LB[cat]="kindred /c/$CATEGORY ($BIG_N)"
A[thread]=$REF; B[thread]=$K/t/$BIG_ID;           LA[thread]=reference;      LB[thread]="kindred /t/$BIG_ID ($BIG_N)"
A[deep]=$REF;   B[deep]=$K/t/$BIG_ID?after=$BIG_MID; LA[deep]=reference;     LB[deep]="kindred /t/$BIG_ID deep ($BIG_N)"
A[scale_first]=$S/t/$BIG_ID;               B[scale_first]=$K/t/$BIG_ID
LA[scale_first]="kindred /t/$BIG_ID ($SMALL_N)"; LB[scale_first]="kindred /t/$BIG_ID ($BIG_N)"
A[scale_deep]=$S/t/$BIG_ID?after=$SMALL_MID; B[scale_deep]=$K/t/$BIG_ID?after=$BIG_MID
LA[scale_deep]="kindred /t/$BIG_ID deep ($SMALL_N)"; LB[scale_deep]="kindred /t/$BIG_ID deep ($BIG_N)"

echo "== pages (status, bytes, seconds for one cold request)"
declare -A status
for u in "$REF" "$K/" "$K/c/$CATEGORY" "$K/t/$BIG_ID" "$K/t/$BIG_ID?after=$BIG_MID" "$S/t/$BIG_ID" "$S/t/$BIG_ID?after=$SMALL_MID"; do
  line=$(curl -s -o /dev/null --max-time 30 -w '%{http_code} %{size_download} %{time_total}' "$u" || true)
  status[$u]=${line%% *}
  echo "${line:-000} $u" | tee -a "$OUT/urls.txt"
done

for c in $ONLY; do
  [ -n "${B[$c]:-}" ] || { echo "unknown comparison $c" >&2; continue; }
  if [ "${status[${A[$c]}]:-}" != 200 ] || [ "${status[${B[$c]}]:-}" != 200 ]; then
    echo "== $c: skipped, a page does not answer 200 (see $OUT/server-*.log)" | tee "$OUT/$c.txt"; continue
  fi
  echo "== $c: ${LA[$c]} vs ${LB[$c]}"
  busy=$(foreign_cpu)
  echo "other processes' CPU before this comparison: ${busy}%" | tee "$OUT/$c.busy"
  [ "${busy%% *}" -lt 20 ] || echo "   WARNING: the machine is busy with something else; these figures are skewed" >&2
  LABEL_A=${LA[$c]} LABEL_B=${LB[$c]} timeout $((4 * ROUNDS * (DURATION + WARMUP) + 120)) \
    "$SHARED/http_compare.sh" "${A[$c]}" "${B[$c]}" | tee "$OUT/$c.txt"
  busy=$(foreign_cpu)  # once more: our servers are idle again, so only other jobs show
  echo "other processes' CPU after this comparison: ${busy}%" | tee -a "$OUT/$c.busy"
  [ "${busy%% *}" -lt 20 ] || echo "   WARNING: the machine is busy with something else; these figures are skewed" >&2
done

echo "== summary"
"$KPY" "$here/summarize.py" "$OUT" | tee "$OUT/summary.md"
echo "== results in $OUT"
