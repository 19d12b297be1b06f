#!/usr/bin/env bash
# Reproduces BENCHMARKS.md: builds the server and the load generator, starts
# the server on a loopback port with a temporary data directory, drives
# REFRESH_TOKEN_AUTH, GetUser, RevokeToken and GlobalSignOut (with the raw RSA
# rates measured in the same process before and after), then stops the server.
# run-pg.sh does the same on PostgreSQL, with one or two replicas.
#
#   cmd/cognate-load/run.sh                       # 10 s per op, 32 workers
#   DURATION=5s CONCURRENCY=64 cmd/cognate-load/run.sh -revoke-tokens 1000
#
# Extra arguments go to cognate-load. Exits non-zero when the load generator
# does (for example an error rate above 0.1 %).
set -euo pipefail

cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-32}
ADDR=${ADDR:-127.0.0.1:19229}
LOG_LEVEL=${LOG_LEVEL:-info}

work=$(mktemp -d)
pid=""
cleanup() {
	if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "go: $(go version)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== build"
go build -o "$work/cognate" ./cmd/cognate
go build -o "$work/cognate-load" ./cmd/cognate-load

echo "== server on $ADDR (data in $work/data, log level $LOG_LEVEL)"
"$work/cognate" serve --addr "$ADDR" --data-dir "$work/data" --log-level "$LOG_LEVEL" 2>"$work/server.log" &
pid=$!
for _ in $(seq 100); do
	if curl -fsS "http://$ADDR/health" >/dev/null 2>&1; then
		break
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		cat "$work/server.log" >&2
		exit 1
	fi
	sleep 0.1
done

echo "== load"
rc=0
"$work/cognate-load" -endpoint "http://$ADDR" -op all -duration "$DURATION" -concurrency "$CONCURRENCY" \
	-server-pid "$pid" "$@" || rc=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -q 'level=ERROR' "$work/server.log"; then
	echo "server logged errors:" >&2
	grep 'level=ERROR' "$work/server.log" | head -5 >&2
	rc=1
fi
exit "$rc"
