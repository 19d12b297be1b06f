#!/usr/bin/env bash
# Soak test: builds the server and the load generator, starts the server on a
# loopback port with a temporary data directory (log level warn, the default
# janitor interval of one minute), then drives the mixed workload of
# `cognate-load -op soak` (GetUser, refresh, sign-in, RevokeToken,
# GlobalSignOut; see soakMix in soakstats.go) open-loop at a fixed rate, and
# prints every SAMPLE the latency, errors, server RSS and database size, then
# a Markdown table of the samples.
#
#   cmd/cognate-load/soak.sh                     # 10 min at 80 % of the mix's measured capacity
#   RATE=200 DURATION=30m cmd/cognate-load/soak.sh
#   DURATION=60s cmd/cognate-load/soak.sh -users 300
#
# RATE unset or 0: the generator first runs the mix at full speed for 20 s
# (-calibrate) and soaks at 80 % of the rate it reached (-calibrate-fraction).
# Extra arguments go to cognate-load. Exits non-zero when the load generator
# does (error rate above 0.1 %, more than 1 % of the requests due not sent,
# the server gone) or when the server logged level=ERROR.
set -euo pipefail

cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10m}
RATE=${RATE:-0}
SAMPLE=${SAMPLE:-10s}
CONCURRENCY=${CONCURRENCY:-32}
ADDR=${ADDR:-127.0.0.1:19239}
LOG_LEVEL=${LOG_LEVEL:-warn}

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

rate_desc="$RATE req/s"
if [[ "$RATE" == 0 ]]; then
	rate_desc="80 % of a 20 s calibration"
fi
echo "== soak (duration $DURATION, rate $rate_desc, sample $SAMPLE, concurrency $CONCURRENCY)"
rc=0
"$work/cognate-load" -endpoint "http://$ADDR" -op soak -duration "$DURATION" -rate "$RATE" -sample "$SAMPLE" \
	-concurrency "$CONCURRENCY" -server-pid "$pid" -data-dir "$work/data" "$@" || rc=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if ! kill -0 "$pid" 2>/dev/null; then
	echo "the server exited during the soak:" >&2
	tail -20 "$work/server.log" >&2
	rc=1
fi
if grep -q 'level=ERROR' "$work/server.log"; then
	echo "server logged errors:" >&2
	grep 'level=ERROR' "$work/server.log" | head -5 >&2
	rc=1
fi
echo "server log: $(wc -l <"$work/server.log") lines at level $LOG_LEVEL and above, $(grep -c 'level=WARN' "$work/server.log" || true) at WARN"
grep 'level=WARN' "$work/server.log" | head -5 || true
exit "$rc"
