#!/usr/bin/env bash
# PostgreSQL benchmarks (BENCHMARKS.md's PostgreSQL section): builds the server
# and the load generator, creates a fresh database on the PostgreSQL server of
# $COGNATE_BENCH_POSTGRES_URL, starts REPLICAS servers on it (different loopback
# ports, one --public-url, so a token minted by one is valid on the other),
# and drives REFRESH_TOKEN_AUTH, GetUser, RevokeToken and GlobalSignOut with
# the requests spread round-robin over the replicas (cognate-load -op all);
# with two replicas also -op visibility (a revocation on A refused by B's next
# request), and -op gso-latency when GSO_LATENCY=1. Then it stops the servers
# and drops the database.
#
# BASELINE=1 first runs the same ops against one server on a temporary SQLite
# database (visibility there has A = B), so that the PostgreSQL/SQLite ratios
# printed at the end come from one invocation on one machine state.
#
#   cmd/cognate-load/run-pg.sh                                  # 1 replica, 10 s per op
#   REPLICAS=2 BASELINE=1 cmd/cognate-load/run-pg.sh
#   REPLICAS=2 BASELINE=1 GSO_LATENCY=1 DURATION=10s cmd/cognate-load/run-pg.sh -revoke-tokens 5000
#   DURATION=3s REPLICAS=2 cmd/cognate-load/run-pg.sh -revoke-tokens 300 -gso-users 200 -visibility-trials 100 -sessions 500 -gso-calls 20
#
# Environment: DURATION (10s), CONCURRENCY (32), REPLICAS (1 or 2), BASELINE
# (0), GSO_LATENCY (0), PORT (19249: SQLite on PORT, the replicas on PORT+1
# and PORT+2), LOG_LEVEL (info, as run.sh), COGNATE_BENCH_POSTGRES_URL (a
# role that may CREATE DATABASE; default
# postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable). Extra
# arguments go to every cognate-load run. Needs psql. The CPU of the
# PostgreSQL backends serving the database is reported when PostgreSQL runs
# on this machine (-db-procs); its background processes (WAL writer,
# checkpointer) are in "other". Exits non-zero when a load generator run
# does (error rate above 0.1 %, a revocation not refused on the next
# request, ...) or a server logged level=ERROR; the other runs still happen.
set -euo pipefail

cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-32}
REPLICAS=${REPLICAS:-1}
BASELINE=${BASELINE:-0}
GSO_LATENCY=${GSO_LATENCY:-0}
PORT=${PORT:-19249}
LOG_LEVEL=${LOG_LEVEL:-info}
PG_URL=${COGNATE_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}

if [[ "$REPLICAS" != 1 && "$REPLICAS" != 2 ]]; then
	echo "run-pg.sh: REPLICAS must be 1 or 2, got $REPLICAS" >&2
	exit 2
fi
command -v psql >/dev/null || {
	echo "run-pg.sh: psql is needed to create and drop the database" >&2
	exit 2
}

work=$(mktemp -d)
pids=()
db=""
cleanup() {
	stop_servers
	if [[ -n "$db" ]]; then
		psql -w -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 ||
			psql -w -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 ||
			echo "run-pg.sh: could not drop database $db" >&2
	fi
	rm -rf "$work"
}
stop_servers() {
	local p
	for p in "${pids[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p"
			wait "$p" 2>/dev/null || true
		fi
	done
	pids=()
}
trap cleanup EXIT

# start_server NAME ADDR ARGS...: starts cognate serve in the background,
# waits for /health, and appends its pid to pids.
start_server() {
	local name=$1 addr=$2
	shift 2
	"$work/cognate" serve --addr "$addr" --log-level "$LOG_LEVEL" "$@" 2>"$work/$name.log" &
	local pid=$!
	pids+=("$pid")
	for _ in $(seq 300); do
		if curl -fsS "http://$addr/health" >/dev/null 2>&1; then
			echo "$name: pid $pid on http://$addr"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "run-pg.sh: $name did not start:" >&2
			cat "$work/$name.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "run-pg.sh: $name not healthy after 30 s" >&2
	exit 1
}

rc=0
# load NAME ARGS...: runs cognate-load, keeps its output in $work/NAME.out,
# and records a failure without stopping the script.
load() {
	local name=$1
	shift
	echo "== $name"
	local r=0
	"$work/cognate-load" -duration "$DURATION" -concurrency "$CONCURRENCY" "$@" "${extra[@]}" 2>&1 | tee "$work/$name.out" || r=$?
	if [[ $r != 0 ]]; then
		echo "run-pg.sh: $name exited with $r" >&2
		rc=1
	fi
}

# server_errors NAME...: fails the run when a server logged level=ERROR.
server_errors() {
	local n
	for n in "$@"; do
		if grep -q 'level=ERROR' "$work/$n.log"; then
			echo "$n logged errors:" >&2
			grep 'level=ERROR' "$work/$n.log" | head -5 >&2
			rc=1
		fi
	done
}

extra=("$@")

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "go: $(go version)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
echo "postgresql: $(psql -w -Atq "$PG_URL" -c 'SELECT version()')"
echo "postgresql settings: $(psql -w -Atq "$PG_URL" -c "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings
	WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections', 'wal_level', 'full_page_writes')")"
echo "runs: replicas $REPLICAS, baseline $BASELINE, gso-latency $GSO_LATENCY, duration $DURATION, concurrency $CONCURRENCY, log level $LOG_LEVEL, extra arguments: ${extra[*]:-none}"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== build"
go build -o "$work/cognate" ./cmd/cognate
go build -o "$work/cognate-load" ./cmd/cognate-load

if [[ "$BASELINE" == 1 ]]; then
	echo "== SQLite baseline (data in $work/sqlite)"
	start_server sqlite "127.0.0.1:$PORT" --data-dir "$work/sqlite"
	load sqlite-all -endpoint "http://127.0.0.1:$PORT" -op all -server-pid "${pids[0]}"
	if [[ "$REPLICAS" == 2 ]]; then
		load sqlite-visibility -endpoint "http://127.0.0.1:$PORT" -op visibility
	fi
	if [[ "$GSO_LATENCY" == 1 ]]; then
		load sqlite-gso-latency -endpoint "http://127.0.0.1:$PORT" -op gso-latency
	fi
	stop_servers
	server_errors sqlite
	echo "load average after the baseline: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

db="cognate_bench_$$_$RANDOM"
echo "== PostgreSQL: database $db, $REPLICAS replica(s)"
psql -w -q "$PG_URL" -c "CREATE DATABASE $db" >/dev/null
# The DSN of the new database: the admin URL with its path replaced.
dsn=$(sed -E "s#^(postgres(ql)?://[^/?]*)(/[^?]*)?#\1/$db#" <<<"$PG_URL")
public="http://127.0.0.1:$((PORT + 1))"
endpoints=""
names=()
for i in $(seq "$REPLICAS"); do
	addr="127.0.0.1:$((PORT + i))"
	# One after the other: the first applies the migrations.
	start_server "pg$i" "$addr" --db "$dsn" --public-url "$public"
	endpoints+="${endpoints:+,}http://$addr"
	names+=("pg$i")
done
server_pids=$(
	IFS=,
	echo "${pids[*]}"
)
load pg-all -endpoint "$endpoints" -op all -server-pid "$server_pids" -db-procs "$db"
if [[ "$REPLICAS" == 2 ]]; then
	load pg-visibility -endpoint "$endpoints" -op visibility
fi
if [[ "$GSO_LATENCY" == 1 ]]; then
	load pg-gso-latency -endpoint "$endpoints" -op gso-latency
fi
stop_servers
server_errors "${names[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# rows FILE: the op rows of a cognate-load -op all Markdown table, as
# "op rate p50 p99".
rows() {
	awk -F'|' '$2 ~ /^ (refresh|getuser|revoke|globalsignout) $/ && $3 ~ /^ [0-9]+ $/ && $4 ~ /ms $/ {
		gsub(/ /, "", $2); gsub(/ /, "", $3); gsub(/ /, "", $4); gsub(/ /, "", $5); print $2, $3, $4, $5 }' "$1"
}
if [[ "$BASELINE" == 1 && -s "$work/sqlite-all.out" && -s "$work/pg-all.out" ]]; then
	echo "== PostgreSQL ($REPLICAS replica(s)) / SQLite, this run"
	echo
	echo "| op | SQLite req/s | PostgreSQL req/s | PostgreSQL / SQLite | SQLite p50 / p99 | PostgreSQL p50 / p99 |"
	echo "| --- | ---: | ---: | ---: | --- | --- |"
	awk 'NR == FNR { rate[$1] = $2; lat[$1] = $3 " / " $4; next }
		($1 in rate) { printf "| %s | %s | %s | %.2f | %s | %s / %s |\n", $1, rate[$1], $2, (rate[$1] > 0 ? $2 / rate[$1] : 0), lat[$1], $3, $4 }' \
		<(rows "$work/sqlite-all.out") <(rows "$work/pg-all.out")
	echo
fi
exit "$rc"
