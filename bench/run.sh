#!/usr/bin/env bash
# Benchmark runner: builds the servers and the load generator, runs every
# scenario against every server (a fresh server process per run, server
# pinned to one CPU and load generator to another), and writes results.md.
#
#   bash bench/run.sh                 # full run, ~6-8 minutes
#   BENCH_QUICK=1 bash bench/run.sh   # smoke run, ~1-2 minutes
#   BENCH_SERVERS="igm ours" ...      # a subset of servers (raw igm node ours)
#   BENCH_SCENARIOS="ws-echo-100" ... # a subset of scenarios
#   BENCH_BEFORE=e9cb716 ...          # adds a column ours@e9cb716: servers/ours
#                                     # built against the library at that revision
#   BENCH_LOAD_BEFORE=9d90964 ...     # adds a column load@9d90964: the ours server
#                                     # driven by cmd/load as it was at that revision
#
# Output: bench/results.md (table) and bench/results.jsonl (raw figures);
# BENCH_OUT_DIR changes where they go.
set -uo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
OUT_DIR="${BENCH_OUT_DIR:-$BENCH}"
QUICK="${BENCH_QUICK:-0}"
SERVERS="${BENCH_SERVERS:-raw igm node ours}"
BEFORE="${BENCH_BEFORE:-}"
LOAD_BEFORE="${BENCH_LOAD_BEFORE:-}"
WORK="$(mktemp -d /tmp/sockjs-bench.XXXXXX)"
BIN="$WORK/bin"
JSONL="$WORK/results.jsonl"
SKIPPED="$WORK/skipped.tsv"
: >"$JSONL"
: >"$SKIPPED"

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# Every process this script starts is remembered and ended by PID.
SPID=""
cleanup() {
	if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
		kill "$SPID" 2>/dev/null
		wait "$SPID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 10,000 websocket sessions need 10,000 descriptors on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
	log "warning: ulimit -n is $(ulimit -n); the 10,000-session idle run may fail"
fi

# Server on CPU 0, load generator on CPU 1 (when there are two CPUs).
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	SRV_PIN=(taskset -c 0)
	LOAD_PIN=(taskset -c 1)
	PINNING="server on CPU 0, load generator on CPU 1 (taskset)"
else
	SRV_PIN=()
	LOAD_PIN=()
	PINNING="not pinned (needs 2 CPUs and taskset)"
fi

MAX_OTHER="${BENCH_MAX_OTHER:-0.2}"
TRIES="${BENCH_TRIES:-3}"
QUIET_WAIT="${BENCH_QUIET_WAIT:-30}"
if [ "$QUICK" = 1 ]; then
	WARMUP=0.5s DUR=1s ROUNDS=3 SETTLE=1s IDLE_WS=1000 IDLE_XHR=500 BUDGET=${BENCH_BUDGET:-150}
else
	WARMUP=2s DUR=5s ROUNDS=10 SETTLE=2s IDLE_WS=10000 IDLE_XHR=5000 BUDGET=${BENCH_BUDGET:-600}
fi

# ---------------------------------------------------------------- build
cd "$BENCH"

TOP="$(git -C "$BENCH" rev-parse --show-toplevel 2>/dev/null)"

# build_at REV PKG OUT builds bench/PKG as it is at git revision REV, against
# the library at REV: the revision is exported (git archive) to $WORK, out of
# the repository (no go.work above it), and its bench module is pointed at
# that export by a replace directive written into the copy only.
build_at() {
	local rev=$1 pkg=$2 out=$3 src="$WORK/src-$1"
	if [ ! -d "$src" ]; then
		mkdir -p "$src" && git -C "$TOP" archive "$rev" | tar -x -C "$src" || return 1
	fi
	[ -d "$src/bench/$pkg" ] || { echo "no bench/$pkg at $rev"; return 1; }
	(cd "$src/bench" && go mod edit -replace github.com/gosockjs/sockjs=../ &&
		GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=mod go build -o "$out" "./$pkg")
}

# short_rev REV prints the abbreviated commit of REV.
short_rev() { git -C "$BENCH" rev-parse --short=7 "$1^{commit}" 2>/dev/null; }

log "building load generator and Go servers"
go build -o "$BIN/" ./cmd/load ./cmd/report ./servers/raw ./servers/igm || exit 1
available=""
for s in $SERVERS; do
	case "$s" in
	raw | igm) available="$available $s" ;;
	ours)
		if go build -o "$BIN/" ./servers/ours 2>"$WORK/ours-build.txt"; then
			available="$available ours"
		else
			log "ours does not build; see results.md"
			printf 'ours\tdoes not build: %s\n' "$(head -c 600 "$WORK/ours-build.txt" | tr '\n\t' '  ')" >>"$SKIPPED"
		fi
		;;
	node)
		if ! command -v node >/dev/null; then
			printf 'node\tno node binary on PATH\n' >>"$SKIPPED"
		elif (cd servers/node && npm ci --no-audit --no-fund --loglevel=error >"$WORK/npm.txt" 2>&1); then
			available="$available node"
		else
			printf 'node\tnpm ci failed: %s\n' "$(tail -c 400 "$WORK/npm.txt" | tr '\n\t' '  ')" >>"$SKIPPED"
		fi
		;;
	*) log "unknown server $s" ;;
	esac
done
# The "before" columns. ours@REV is the library at REV behind REV's own
# servers/ours (a server at a revision before /echo-deflate gets no
# deflate-on runs); load@REV is the current ours server driven by REV's
# cmd/load, in the scenarios that load generator has.
BEFORE_COL="" LOAD_COL="" BEFORE_DEFLATE=no
if [ -n "$BEFORE" ]; then
	if r=$(short_rev "$BEFORE") && BEFORE_COL="ours@$r" && build_at "$BEFORE" servers/ours "$BIN/$BEFORE_COL" >"$WORK/before-build.txt" 2>&1; then
		available="$available $BEFORE_COL"
		grep -q echo-deflate "$WORK/src-$BEFORE"/bench/servers/ours/*.go && BEFORE_DEFLATE=yes
	else
		BEFORE_COL="${BEFORE_COL:-ours@$BEFORE}"
		printf '%s\tdoes not build: %s\n' "$BEFORE_COL" "$(head -c 600 "$WORK/before-build.txt" | tr '\n\t' '  ')" >>"$SKIPPED"
	fi
fi
if [ -n "$LOAD_BEFORE" ]; then
	if r=$(short_rev "$LOAD_BEFORE") && LOAD_COL="load@$r" && build_at "$LOAD_BEFORE" cmd/load "$BIN/$LOAD_COL" >"$WORK/load-before-build.txt" 2>&1; then
		case " $available " in *" ours "*) available="$available $LOAD_COL" ;; *) log "no ours server: no $LOAD_COL column" ;; esac
	else
		LOAD_COL="${LOAD_COL:-load@$LOAD_BEFORE}"
		printf '%s\tdoes not build: %s\n' "$LOAD_COL" "$(head -c 600 "$WORK/load-before-build.txt" | tr '\n\t' '  ')" >>"$SKIPPED"
	fi
fi

# ---------------------------------------------------------------- runs
SURL=""
start_server() { # column
	local name=$1 logf="$WORK/$1.log"
	# Truncated here, not only by the background job's redirection: that one
	# may run after the loop below has read the previous run's address.
	: >"$logf"
	case "$name" in
	node) (cd servers/node && exec "${SRV_PIN[@]}" node server.js --addr 127.0.0.1:0) >"$logf" 2>&1 &
		;;
	load@*) "${SRV_PIN[@]}" "$BIN/ours" -addr 127.0.0.1:0 >"$logf" 2>&1 & ;;
	*) "${SRV_PIN[@]}" "$BIN/$name" -addr 127.0.0.1:0 >"$logf" 2>&1 & ;;
	esac
	SPID=$!
	SURL=""
	for _ in $(seq 100); do
		SURL="$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$logf" | head -1)"
		[ -n "$SURL" ] && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	log "$name did not start: $(head -c 300 "$logf")"
	stop_server
	return 1
}

stop_server() {
	if [ -n "$SPID" ]; then
		kill "$SPID" 2>/dev/null
		wait "$SPID" 2>/dev/null
		SPID=""
	fi
}

# busy_cores prints how many cores (user+nice+system+steal) the machine kept
# busy over the next second; between runs none of it is the benchmark's.
busy_cores() {
	local a b t0 t1
	t0=$(date +%s%N)
	a=$(head -1 /proc/stat)
	sleep 1
	b=$(head -1 /proc/stat)
	t1=$(date +%s%N)
	awk -v a="$a" -v b="$b" -v hz="$(getconf CLK_TCK)" -v ns="$((t1 - t0))" 'BEGIN {
		split(a, x); split(b, y); busy = 0
		for (i = 2; i <= 9; i++) if (i != 5 && i != 6) busy += y[i] - x[i]
		printf "%.2f", busy / hz / (ns / 1e9) }'
}

# wait_quiet waits (at most QUIET_WAIT seconds) until other processes use
# less than MAX_OTHER cores, so that runs are not measured against them.
wait_quiet() {
	local waited=0 busy
	while :; do
		busy=$(busy_cores)
		awk -v a="$busy" -v m="$MAX_OTHER" 'BEGIN{exit !(a<=m)}' && return 0
		if [ "$waited" -ge "$QUIET_WAIT" ]; then
			log "machine still busy ($busy cores used by other processes); running anyway"
			return 1
		fi
		[ "$waited" = 0 ] && log "waiting for other processes to quiet down ($busy cores busy)"
		sleep 2
		waited=$((waited + 3))
	done
}

# scenario name | load arguments | columns: all, sockjs (all but raw), plain
# (raw, ours and ours@REV: a payload of JSON, no compression) or deflate (raw
# and ours, and ours@REV if its server has /echo-deflate)
SCENARIOS=(
	"ws-echo-1|-scenario echo -transport websocket -sessions 1|all"
	"ws-echo-100|-scenario echo -transport websocket -sessions 100|all"
	"ws-echo-1000|-scenario echo -transport websocket -sessions 1000|all"
	"ws-pipelined|-scenario echo -transport websocket -sessions 100 -inflight 32|all"
	"broadcast-ws|-scenario broadcast -transport websocket -sessions 1000|all"
	"broadcast-xhr-streaming|-scenario broadcast -transport xhr-streaming -sessions 1000|sockjs"
	"idle-ws|-scenario idle -transport websocket -sessions $IDLE_WS|all"
	"idle-xhr-streaming|-scenario idle -transport xhr-streaming -sessions $IDLE_XHR|sockjs"
	"xhr-polling-echo|-scenario echo -transport xhr-polling -sessions 100|sockjs"
)
for p in small chat doc; do
	SCENARIOS+=(
		"ws-deflate-off-$p|-scenario echo -transport websocket -sessions 100 -payload-kind $p|plain"
		"ws-deflate-on-$p|-scenario echo -transport websocket -sessions 100 -payload-kind $p -path /echo-deflate -deflate|deflate"
	)
done

# runs_in COLUMN CLASS: does the column run scenarios of that class?
runs_in() {
	case "$2" in
	all) return 0 ;;
	sockjs) [ "$1" != raw ] ;;
	plain) [ "$1" = raw ] || [ "$1" = ours ] || [ "$1" = "$BEFORE_COL" ] ;;
	deflate) [ "$1" = raw ] || [ "$1" = ours ] || { [ "$1" = "$BEFORE_COL" ] && [ "$BEFORE_DEFLATE" = yes ]; } ;;
	*) return 1 ;;
	esac
}

want_scenario() {
	[ -z "${BENCH_SCENARIOS:-}" ] && return 0
	case " $BENCH_SCENARIOS " in *" $1 "*) return 0 ;; esac
	return 1
}

t0=$(date +%s)
for entry in "${SCENARIOS[@]}"; do
	IFS='|' read -r scen args class <<<"$entry"
	want_scenario "$scen" || continue
	for s in $available; do
		runs_in "$s" "$class" || continue
		load="$BIN/load"
		[ "$s" = "$LOAD_COL" ] && load="$BIN/$LOAD_COL"
		kindargs=(-kind sockjs)
		[ "$s" = raw ] && kindargs=(-kind raw)
		gr=true
		[ "$s" = node ] && gr=false
		# The machine may be shared: a run during which other processes kept
		# more than $MAX_OTHER of a core busy is repeated (up to $TRIES runs
		# in all) and the quietest run is kept.
		best="" best_other=""
		if [ $(($(date +%s) - t0)) -gt "$BUDGET" ] && [ "$TRIES" != 1 ]; then
			log "past the ${BUDGET}s budget: no more waiting for quiet or retries"
			TRIES=1 QUIET_WAIT=0
		fi
		for try in $(seq "$TRIES"); do
			wait_quiet
			if ! start_server "$s"; then
				best='{"server":"'$s'","scenario":"'$scen'","metrics":{},"errors":0,"error":"server did not start"}'
				break
			fi
			sleep 0.3
			log "$scen on $s ($SURL)$([ "$try" -gt 1 ] && echo " try $try")"
			: >"$WORK/one.jsonl"
			# shellcheck disable=SC2086
			timeout 240 "${LOAD_PIN[@]}" "$load" -url "$SURL" -pid "$SPID" -goroutines="$gr" \
				-server "$s" -name "$scen" -out "$WORK/one.jsonl" "${kindargs[@]}" $args \
				-warmup "$WARMUP" -duration "$DUR" -rounds "$ROUNDS" -settle "$SETTLE" \
				2>"$WORK/load.err"
			rc=$?
			line="$(head -1 "$WORK/one.jsonl")"
			if [ -z "$line" ]; then
				msg="$(tail -c 300 "$WORK/load.err" | tr '\n\t"\\' '    ')"
				line='{"server":"'$s'","scenario":"'$scen'","metrics":{},"errors":0,"error":"load generator exited '$rc' without a result: '$msg'"}'
			fi
			if ! kill -0 "$SPID" 2>/dev/null; then
				log "$s died during $scen: $(tail -c 300 "$WORK/$s.log")"
			fi
			stop_server
			other="$(printf '%s' "$line" | sed -n 's/.*"other_cpu_util":\([-0-9.e+]*\).*/\1/p')"
			if [ -z "$other" ]; then # failed run or no CPU window (idle): keep it
				best="$line"
				break
			fi
			if [ -z "$best_other" ] || awk -v a="$other" -v b="$best_other" 'BEGIN{exit !(a<b)}'; then
				best="$line" best_other="$other"
			fi
			awk -v a="$other" -v m="$MAX_OTHER" 'BEGIN{exit !(a<=m)}' && break
			log "other processes used $other cores during the run"
		done
		printf '%s\n' "$best" >>"$JSONL"
	done
done
elapsed=$(($(date +%s) - t0))

# ---------------------------------------------------------------- report
{
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); mode: $([ "$QUICK" = 1 ] && echo "quick (BENCH_QUICK=1)" || echo full); runs took ${elapsed}s"
	echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
	echo "- $(go version | sed 's/^go version //'); node $(node --version 2>/dev/null || echo absent)"
	echo "- servers: raw = gorilla/websocket without SockJS framing; igm = github.com/igm/sockjs-go v3.0.1+incompatible; node = sockjs-node 0.3.24; ours = github.com/gosockjs/sockjs (this repo)"
	echo "- $PINNING; loopback only; a fresh server process per run; warm-up $WARMUP, measurement $DUR"
	echo "- idle runs: $IDLE_WS websocket / $IDLE_XHR xhr-streaming sessions; broadcast: 1000 subscribers, time to last delivery over $ROUNDS isolated POST /trigger, then deliveries/s with 16 triggers outstanding"
	echo "- server CPU time from /proc/PID/stat (10 ms ticks), RSS from /proc/PID/status, goroutines from the Go servers' /debug/goroutines-count"
} >"$WORK/header.md"
cols=""
for s in raw igm node ours; do
	case " $SERVERS " in *" $s "*) cols="$cols,$s" ;; esac
done
compare=""
: >"$WORK/legend.md"
if [ -n "$BEFORE_COL" ]; then
	cols="$cols,$BEFORE_COL"
	compare="$compare;ours:$BEFORE_COL=The library now (ours) and at ${BEFORE_COL#ours@} ($BEFORE_COL), same load generator"
	echo "- $BEFORE_COL: servers/ours as it was at ${BEFORE_COL#ours@}, built against the library at that revision (\`BENCH_BEFORE=$BEFORE\`)." >>"$WORK/legend.md"
fi
if [ -n "$LOAD_COL" ]; then
	cols="$cols,$LOAD_COL"
	compare="$compare;ours:$LOAD_COL=Load generator: cmd/load on package client (ours) and as it was at ${LOAD_COL#load@} ($LOAD_COL), same ours server binary"
	echo "- $LOAD_COL: the ours server binary of this run, driven by cmd/load as it was at ${LOAD_COL#load@}, its own SockJS client (\`BENCH_LOAD_BEFORE=$LOAD_BEFORE\`); runs alternate with the ours column's, scenario by scenario." >>"$WORK/legend.md"
fi
mkdir -p "$OUT_DIR"
cp "$JSONL" "$OUT_DIR/results.jsonl"
"$BIN/report" -in "$JSONL" -out "$OUT_DIR/results.md" -servers "${cols#,}" -header "$WORK/header.md" -legend "$WORK/legend.md" \
	-compare "${compare#;}" -skipped "$SKIPPED" -max-other "$MAX_OTHER" || exit 1
log "wrote $OUT_DIR/results.md"
