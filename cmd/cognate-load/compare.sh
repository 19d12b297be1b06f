#!/usr/bin/env bash
# Compares the server at an earlier commit with the working tree on the same
# machine, in the same sitting: it builds both, then alternates short runs of
# each operation (base, current, base, current, ...), each on a fresh
# server and data directory, with the working tree's load generator. A
# shared or throttled machine changes speed by 10-30 % within minutes, so a
# comparison with a number measured another day says little; alternating
# runs see the same drift. It prints the server's CPU per request of every
# run and the medians.
#
#   cmd/cognate-load/compare.sh d12512d                     # refresh and getuser, 5 rounds of 8 s
#   ROUNDS=3 DURATION=5s OPS="getuser" cmd/cognate-load/compare.sh HEAD~3
#   SERVER_ENV="GOGC=100" cmd/cognate-load/compare.sh d12512d   # both servers with this environment
#
# With PERF=1 (Linux perf installed, perf_event_paranoid <= 2) each refresh
# run also records the share of the server's CPU spent in RS256 signing, a
# measure of the refresh's own overhead that does not depend on the
# machine's speed at that moment.
set -euo pipefail

cd "$(dirname "$0")/../.."
base=${1:?usage: compare.sh BASE-COMMIT}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-8s}
OPS=${OPS:-refresh getuser}
ADDR=${ADDR:-127.0.0.1:19239}
SERVER_ENV=${SERVER_ENV:-}
PERF=${PERF:-0}

work=$(mktemp -d)
pid=""
cleanup() {
	if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	git worktree remove --force "$work/base-src" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "== build: base $(git rev-parse --short "$base"), current $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with local changes)')"
git worktree add -q --detach "$work/base-src" "$base"
(cd "$work/base-src" && go build -o "$work/base" ./cmd/cognate)
go build -o "$work/current" ./cmd/cognate
go build -o "$work/cognate-load" ./cmd/cognate-load

# run BIN OP: one run on a fresh server; prints "<server CPU per request>µs
# <requests>/s [<RSA share>]".
run() {
	local bin=$1 op=$2 out share=""
	rm -rf "$work/data"
	# shellcheck disable=SC2086 # SERVER_ENV is a list of NAME=VALUE words
	env $SERVER_ENV "$bin" serve --addr "$ADDR" --data-dir "$work/data" --log-level warn 2>"$work/server.log" &
	pid=$!
	for _ in $(seq 100); do
		curl -fsS "http://$ADDR/health" >/dev/null 2>&1 && break
		sleep 0.1
	done
	"$work/cognate-load" -endpoint "http://$ADDR" -op "$op" -raw-rsa=false -duration "$DURATION" \
		-server-pid "$pid" -markdown=false >"$work/load.out" 2>&1 &
	local lp=$!
	if [[ "$PERF" == 1 && "$op" == refresh ]]; then
		sleep 4 # past the set-up
		perf record -q -F 999 -g -p "$pid" -o "$work/perf.data" -- sleep 3 >/dev/null 2>&1 || true
		share=$(perf report -i "$work/perf.data" --children --sort symbol --stdio -g none 2>/dev/null |
			awk '/\] crypto\/rsa\.SignPKCS1v15/ {print $1; exit}')
	fi
	wait "$lp" || { cat "$work/load.out" >&2; exit 1; }
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	pid=""
	out=$(cat "$work/load.out")
	echo "$(grep -oE "CPU per request: server [0-9]+" <<<"$out" | grep -oE '[0-9]+$')µs $(grep -oE "[0-9]+ req/s" <<<"$out" | head -1 | grep -oE '^[0-9]+')/s $share"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "== $ROUNDS rounds of $DURATION per operation${SERVER_ENV:+, server environment: $SERVER_ENV}"
for op in $OPS; do
	: >"$work/base.$op"
	: >"$work/current.$op"
	for r in $(seq "$ROUNDS"); do
		b=$(run "$work/base" "$op")
		c=$(run "$work/current" "$op")
		echo "$b" >>"$work/base.$op"
		echo "$c" >>"$work/current.$op"
		echo "$op round $r: server CPU per request, requests/s[, RSA share]: base $b; current $c"
	done
	echo "$op median server CPU per request: base $(sed 's/µs.*//' "$work/base.$op" | median)µs, current $(sed 's/µs.*//' "$work/current.$op" | median)µs"
done
