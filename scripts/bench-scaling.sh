#!/usr/bin/env bash
# The scaling run of `deconflict bench theatre`, in one command: the theatre workload in process
# and against the PostGIS baseline, then over HTTP against the embedded store, the PostgreSQL
# store with 1 node, and the PostgreSQL store with 2 nodes sharing one database; one markdown
# table at the end (writes/s, queries/s, p50, p99, and the ratios to PostGIS), and every JSON
# report saved in the work directory.
#
# Usage: scripts/bench-scaling.sh
#
# Settings (environment):
#   WORK=/tmp/theatre          work directory: workload, JSON reports, server logs, data dirs
#   N=100000                   ops in the workload (generated into WORK if absent)
#   QUERIES=10000              queries in the workload
#   PG=postgres://postgres@127.0.0.1:5432
#                              the PostgreSQL server (no database name): the script creates and
#                              drops the databases ${DB_PREFIX}_postgis, _1node and _2nodes on it
#   DB_PREFIX=deconflict_bench
#   KEEP_DBS=1                 keep those databases at the end (dropped by default)
#   WRITERS=16                 concurrent writers filing the ops over HTTP
#   QUERY_CLIENTS=16           concurrent clients of the second query pass over HTTP
#   GEN=../shared/bench/gen_theatre.py   (relative to the repository)
#   SKIP_BUILD=1               use the release binary already built
#   CARGO_TARGET_DIR           where the release binary is built (default: target/)
#
# Needs: cargo, python3, psql, curl; a PostgreSQL server whose user may create databases; PostGIS
# for the baseline (scripts/install-postgis.sh; without it the baseline is skipped, loudly).
# Every server the script starts is stopped when it exits, whatever the outcome.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-/tmp/theatre}
N=${N:-100000}
QUERIES=${QUERIES:-10000}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
PG=${PG%/}
DB_PREFIX=${DB_PREFIX:-deconflict_bench}
WRITERS=${WRITERS:-16}
QUERY_CLIENTS=${QUERY_CLIENTS:-16}
GEN=${GEN:-$ROOT/../shared/bench/gen_theatre.py}
TARGET=${CARGO_TARGET_DIR:-target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
BIN=$TARGET/release/deconflict

say() {
    echo "bench-scaling: $*" >&2
}
die() {
    echo "bench-scaling: error: $*" >&2
    exit 1
}

for tool in python3 psql curl; do
    command -v "$tool" >/dev/null 2>&1 || die "needs $tool"
done
[[ "$N" =~ ^[0-9]+$ && "$QUERIES" =~ ^[0-9]+$ ]] || die "N and QUERIES must be numbers"

# --- Servers: started in the background, all stopped on exit. --------------------------------
PIDS=()
DBS=()
stop_servers() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
cleanup() {
    local rc=$?
    stop_servers
    if [ "${KEEP_DBS:-0}" != 1 ]; then
        local db
        for db in "${DBS[@]}"; do
            psql "$PG/postgres" -qAtc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
        done
    fi
    [ "$rc" -eq 0 ] || say "failed (exit $rc); logs in $WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts `deconflict ARGS... --listen 127.0.0.1:0 --log-json` logging to WORK/server-NAME.log,
# waits until it answers /readyz, and sets URL to its base URL.
URL=
start() {
    local name=$1
    shift
    local log=$WORK/server-$name.log
    "$BIN" "$@" --listen 127.0.0.1:0 --log-json >"$log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    URL=
    local i
    for i in $(seq 1 600); do
        URL=$(grep -o 'serving on http://127\.0\.0\.1:[0-9]*' "$log" | head -n 1 | sed 's/^serving on //') || true
        [ -n "$URL" ] && break
        kill -0 "$pid" 2>/dev/null || die "server $name exited at start: $(tail -n 5 "$log")"
        sleep 0.1
    done
    [ -n "$URL" ] || die "server $name did not start in 60 s (see $log)"
    curl -fsS -o /dev/null --retry 20 --retry-connrefused --retry-delay 1 "$URL/readyz" ||
        die "server $name at $URL is not ready (see $log)"
    say "server $name (pid $pid) on $URL"
}

# A fresh database NAME on the server, dropped on exit unless KEEP_DBS=1.
fresh_db() {
    psql "$PG/postgres" -v ON_ERROR_STOP=1 -qAt \
        -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" \
        -c "CREATE DATABASE \"$1\"" >/dev/null || die "cannot create database $1 on $PG"
    DBS+=("$1")
}

# bench_http NAME URL...: the HTTP bench against these nodes; report in WORK/report-NAME.json.
bench_http() {
    local name=$1
    shift
    local args=() u
    for u in "$@"; do
        args+=(--url "$u")
    done
    say "HTTP bench: $name ($# node(s), $WRITERS writers, $QUERY_CLIENTS query clients)"
    "$BIN" bench theatre --ops "$OPS" --queries "$QRS" "${args[@]}" --token "$TOKEN" \
        --writers "$WRITERS" --query-clients "$QUERY_CLIENTS" --json \
        2> >(tee "$WORK/bench-$name.log" >&2) | tail -n 1 >"$WORK/report-$name.json"
    [ -s "$WORK/report-$name.json" ] || die "no report from the $name run"
}

# --- Build. -------------------------------------------------------------------------------
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    say "building the release binary into $TARGET"
    (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build --release -p deconflict)
fi
[ -x "$BIN" ] || die "no binary at $BIN"

# --- Workload. ----------------------------------------------------------------------------
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
OPS=$WORK/ops-$N.jsonl
QRS=$WORK/queries-$QUERIES.jsonl
gen() { # KIND COUNT SEED FILE
    if [ ! -s "$4" ]; then
        [ -f "$GEN" ] || die "no generator at $GEN (set GEN=)"
        say "generating $4"
        python3 "$GEN" --kind "$1" --n "$2" --seed "$3" >"$4.tmp"
        mv "$4.tmp" "$4"
    fi
}
gen ops "$N" 1 "$OPS"
gen queries "$QUERIES" 2 "$QRS"
say "workload: $OPS, $QRS"

psql "$PG/postgres" -qAtc 'SELECT 1' >/dev/null || die "cannot reach PostgreSQL at $PG/postgres"

# --- In process, and the PostGIS baseline. ------------------------------------------------------
postgis=()
if [ "$(psql "$PG/postgres" -qAtc "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")" = 1 ]; then
    fresh_db "${DB_PREFIX}_postgis"
    postgis=(--postgis "$PG/${DB_PREFIX}_postgis")
else
    say "##############################################################################"
    say "## WARNING: PostGIS is NOT installed on $PG: the PostGIS baseline is SKIPPED"
    say "## and the table has no ratios. Install it with scripts/install-postgis.sh."
    say "##############################################################################"
fi
say "in process${postgis:+ and PostGIS}"
"$BIN" bench theatre --ops "$OPS" --queries "$QRS" "${postgis[@]}" --json \
    2> >(tee "$WORK/bench-in-process.log" >&2) | tail -n 1 >"$WORK/report-in-process.json"
[ -s "$WORK/report-in-process.json" ] || die "no report from the in-process run"

# --- Embedded store, 1 node. ----------------------------------------------------------------
rm -rf "$WORK/embedded"
start embedded demo --data "$WORK/embedded"
KEY=$WORK/embedded/dev-key.pub.pem
TOKEN=$("$BIN" token --data "$WORK/embedded" --party bench \
    --scope deconflict.read --scope deconflict.write)
bench_http embedded "$URL"
stop_servers

# --- PostgreSQL store, 1 node. ----------------------------------------------------------------
db=${DB_PREFIX}_1node
fresh_db "$db"
"$BIN" migrate --store "$PG/$db" >/dev/null
start pg-1 serve --store "$PG/$db" --data "$WORK/pg-1" --jwt-public-key "$KEY"
bench_http pg-1node "$URL"
stop_servers

# --- PostgreSQL store, 2 nodes on one database. -------------------------------------------------
db=${DB_PREFIX}_2nodes
fresh_db "$db"
"$BIN" migrate --store "$PG/$db" >/dev/null
start pg-a serve --store "$PG/$db" --data "$WORK/pg-a" --jwt-public-key "$KEY"
url_a=$URL
start pg-b serve --store "$PG/$db" --data "$WORK/pg-b" --jwt-public-key "$KEY"
url_b=$URL
bench_http pg-2nodes "$url_a" "$url_b"
stop_servers

# --- The table. -------------------------------------------------------------------------------
python3 - "$WORK" "$N" "$QUERIES" <<'EOF' | tee "$WORK/table.md"
import json, sys

work, n, nq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(name):
    with open(f"{work}/report-{name}.json") as f:
        return json.load(f)

inproc = load("in-process")
pg = inproc.get("postgis")
base = pg["query"]["queries_per_s"] if pg else None
runs = [(name, load(f)) for name, f in
        [("embedded store, 1 node", "embedded"),
         ("PostgreSQL store, 1 node", "pg-1node"),
         ("PostgreSQL store, 2 nodes", "pg-2nodes")]]
clients = runs[0][1]["query_clients"]
writers = runs[0][1]["writers"]

def num(x):
    return "—" if x is None else f"{x:,.0f}"
def us(q):
    return f"{q['p50_us']:,.0f} / {q['p99_us']:,.0f}" if q["p50_us"] >= 10 else \
        f"{q['p50_us']:.1f} / {q['p99_us']:.1f}"
def ratio(q):
    return "—" if base is None else f"{q['queries_per_s'] / base:.2f}×"

print(f"theatre workload: {n:,} ops, {nq:,} queries; HTTP: {writers} writers, "
      f"single client then {clients} clients")
print()
print(f"| setup | writes/s | queries/s (1 client) | p50 / p99 µs | vs PostGIS "
      f"| queries/s ({clients} clients) | p50 / p99 µs | vs PostGIS |")
print("|---|---|---|---|---|---|---|---|")
q = inproc["in_process"]["query"]
print(f"| in process (no HTTP) | — | {num(q['queries_per_s'])} | {us(q)} | {ratio(q)} | — | — | — |")
if pg:
    q = pg["query"]
    print(f"| PostGIS baseline | — | {num(q['queries_per_s'])} | {us(q)} | 1.00× | — | — | — |")
else:
    print("| PostGIS baseline | SKIPPED: PostGIS not installed | | | | | | |")
for name, r in runs:
    q, c = r["query"], r["query_concurrent"]
    print(f"| {name} | {num(r['writes_per_s'])} | {num(q['queries_per_s'])} | {us(q)} | {ratio(q)} "
          f"| {num(c['queries_per_s'])} | {us(c)} | {ratio(c)} |")
r = runs[0][1]
q, c = r["baseline"], r["baseline_concurrent"]
print(f"| do-nothing HTTP handler | — | {num(q['queries_per_s'])} | {us(q)} | {ratio(q)} "
      f"| {num(c['queries_per_s'])} | {us(c)} | {ratio(c)} |")
print()
print("writes/s: conflict-checked writes (PUT, including the retries with the OVNs a 409 named) "
      "per second while filing the ops; vs PostGIS: queries/s over the PostGIS baseline's "
      "single-client queries/s.")
notes = []
for name, r in runs:
    if r["busy_writes"] or r["busy_queries"]:
        notes.append(f"{name}: {r['busy_writes']} writes and {r['busy_queries']} queries "
                     "answered 503 and retried")
    notes.append(f"{name}: {r['filed']:,} ops filed, {r['invalid']} refused as invalid, "
                 f"{r['refused_queries']} queries refused, {r['mismatched_queries']} answers "
                 "differing from in process")
for line in notes:
    print(f"- {line}")
EOF
say "JSON reports: $WORK/report-{in-process,embedded,pg-1node,pg-2nodes}.json; table: $WORK/table.md"
