#!/usr/bin/env bash
# bench/run.sh runs Rollcall's load benchmark and writes the "## Load
# benchmark" section of BENCHMARKS.md (the other sections are left alone).
#
# It builds rollcall and the tools in bench/, then for SQLite and for
# PostgreSQL (a throwaway cluster in a temp dir, production settings: fsync
# on) seeds 1,000 users, loads each scenario at 8 and 64 connections, seeds
# up to 1,000,000 users and loads again. Beside every block it measures the
# ceiling server (a fixed 1 KiB JSON answer) with the same tool, and it
# records the server's peak RSS (VmHWM) per block. Everything listens on
# 127.0.0.1 only and is removed at the end.
#
#   bench/run.sh                      # the full run, about 15 minutes on 2 cores
#   DURATION=2s LARGE=20000 bench/run.sh   # a quick rehearsal
#
# Each block's fresh server first gets BLOCK_WARMUP (default 5s) of GET load
# that is not recorded; WARMUP (default 1s) precedes every cell.
#
# With SUPPLEMENT_TITLE set, the tables go to bench/supplement.md instead,
# which the main section includes (bench/notes.md, the hand-written
# analysis, is included too):
#
#   SUPPLEMENT_TITLE="Per-request CPU, 1 and 8 connections" CONNS="1 8" LARGE=10000 DURATION=3s bench/run.sh
#
# After the SQLite blocks, the million-user file is loaded once more with
# SQLite reading it through a memory map (the opt-in of README's "SQLite
# parameters"), for the scenarios in MMAP_SCENARIOS (default "get list
# search"; empty skips it), so that its gain and its RSS are measured in
# the same run as the default.
#
# The SCIM scenarios (userName eq and externalId eq lookups, startIndex
# walks from a random place, pages at random startIndexes, provisioning by
# POST) are not in the default set; run them with
#
#   SCENARIOS="scim-username scim-externalid scim-page scim-jump scim-create" MMAP_SCENARIOS= \
#     HEADING="## SCIM benchmark" INCLUDE=bench/scimnotes.md bench/run.sh
#
# HEADING names the section of BENCHMARKS.md to write (default "## Load
# benchmark"); INCLUDE the hand-written files appended to it.
#
# Needs Go, curl, and PostgreSQL's binaries (apt-get install -y postgresql).
set -euo pipefail

DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
BLOCK_WARMUP=${BLOCK_WARMUP:-5s}
SMALL=${SMALL:-1000}
LARGE=${LARGE:-1000000}
CONNS=${CONNS:-"8 64"}
SCENARIOS=${SCENARIOS:-"get list search update create"}
MMAP_SCENARIOS=${MMAP_SCENARIOS-"get list search"}
BACKENDS=${BACKENDS:-"sqlite postgres"}
OUT=${OUT:-BENCHMARKS.md}
HEADING=${HEADING:-"## Load benchmark"}
INCLUDE=${INCLUDE:-bench/supplement.md,bench/notes.md}

cd "$(dirname "$0")/.."
root=$(pwd)
BENCH_NAME=bench
# shellcheck source=bench/lib.sh
source bench/lib.sh

log "building into $bin"
go build -o "$bin/" ./cmd/rollcall ./bench/load ./bench/seed ./bench/ceiling ./bench/report

token=rc_$(head -c 512 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 43)
results=$work/results.tsv
rss=$work/rss.tsv
: >"$results"
: >"$rss"
loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%s)

start_ceiling

# load BACKEND USERS SCENARIO CONNS URL PID appends one result line.
load() {
	local line
	line=$("$bin/load" -url "$5" -pid "$6" -token "$token" -scenario "$3" -users "$SMALL_OR_LARGE" -c "$4" -d "$DURATION" -warmup "$WARMUP" -run "$1$2$RANDOM" 2>>"$work/load.log" || true)
	if [[ -z $line ]]; then
		log "load $3 c=$4 on $1/$2 produced no result; see the log below"
		tail -5 "$work/load.log" >&2
		return 1
	fi
	printf '%s\t%s\t%s\n' "$1" "$2" "$line" >>"$results"
	log "$1 $2 users: $(tail -1 "$work/load.log" | sed 's/^load: //')"
}

# block BACKEND DSN USERS [SCENARIOS] serves DSN and runs every scenario
# (by default $SCENARIOS) against it.
block() {
	local backend=$1 dsn=$2 users=$3 scenarios=${4:-$SCENARIOS} port pid
	SMALL_OR_LARGE=$users
	for c in $CONNS; do load "$backend" "$users" ceiling "$c" "$ceiling_url" "$ceiling_pid"; done
	port=$(free_port)
	ROLLCALL_BOOTSTRAP_TOKEN=$token "$bin/rollcall" serve --database "$dsn" --addr "127.0.0.1:$port" \
		--rate-limit 0 >"$work/server-$backend-$users.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	wait_healthy "http://127.0.0.1:$port" "$pid" "$work/server-$backend-$users.log"
	# A server just started on a database just seeded has cold page
	# caches: without this the first cell (GET at 8 connections) measured
	# about a sixth slower than the same load a minute later. Not recorded.
	"$bin/load" -url "http://127.0.0.1:$port" -token "$token" -scenario get -users "$users" -c 8 \
		-d "$BLOCK_WARMUP" -warmup 0 >/dev/null 2>>"$work/load.log" || true
	for c in $CONNS; do
		for s in $scenarios; do load "$backend" "$users" "$s" "$c" "http://127.0.0.1:$port" "$pid"; done
	done
	# Peak RSS, and what the RSS is made of at the end: anonymous memory
	# (the Go heap and SQLite's caches) and mapped files (SQLite's mmap).
	printf '%s\t%s\t%s\t%s\t%s\n' "$backend" "$users" "$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")" \
		"$(awk '/RssAnon/ {print $2}' "/proc/$pid/status")" "$(awk '/RssFile/ {print $2}' "/proc/$pid/status")" >>"$rss"
	kill -TERM "$pid"
	wait "$pid" || true
}

# seed DSN FROM TO WORKERS
seed() {
	log "seeding users $2..$(($3 - 1))"
	"$bin/seed" -database "$1" -from "$2" -to "$3" -workers "$4" 2>&1 | sed 's/^/  /' >&2
	if [[ $1 == postgres://* ]]; then
		# What PostgreSQL's manual asks for after a bulk load, and the
		# state a real database is in once autovacuum has seen the rows:
		# without it the blocks ran with whatever statistics autovacuum
		# had gathered so far, and plans could change mid-run. It is also
		# what showed search pages sorting every match of a prefix at a
		# million users (fixed in sqlstore's prefixScan).
		log "VACUUM (ANALYZE) after the bulk load"
		psql -q -h 127.0.0.1 -p "$pgport" -U postgres -c 'VACUUM (ANALYZE)' rollcall
	fi
}

run_backend() {
	local backend=$1 dsn=$2 workers=$3
	seed "$dsn" 0 "$SMALL" "$workers"
	block "$backend" "$dsn" "$SMALL"
	seed "$dsn" "$SMALL" "$LARGE" "$workers"
	block "$backend" "$dsn" "$LARGE"
}

for backend in $BACKENDS; do
	case $backend in
	sqlite)
		run_backend sqlite "$work/rollcall.db" 1
		if [[ -n $MMAP_SCENARIOS ]]; then
			# 2147418112 bytes is the most SQLite maps (SQLITE_MAX_MMAP_SIZE).
			block sqlite+mmap "$work/rollcall.db?_pragma=mmap_size(2147418112)" "$LARGE" "$MMAP_SCENARIOS"
		fi
		rm -f "$work"/rollcall.db*
		;;
	postgres)
		start_postgres
		run_backend postgres "postgres://postgres@127.0.0.1:$pgport/rollcall?sslmode=disable" 2
		stop_postgres
		;;
	*)
		echo "bench: unknown backend $backend (use sqlite and/or postgres)" >&2
		exit 2
		;;
	esac
done

log "writing $OUT"
fragment=()
if [[ -n ${SUPPLEMENT_TITLE:-} ]]; then fragment=(-fragment bench/supplement.md -title "$SUPPLEMENT_TITLE"); fi
"$bin/report" -results "$results" -rss "$rss" -out "$OUT" -heading "$HEADING" -include "$INCLUDE" "${fragment[@]}" \
	-command "${BENCH_COMMAND:-bench/run.sh}" -duration "$DURATION" -warmup "$WARMUP" -block-warmup "$BLOCK_WARMUP" -conns "$CONNS" \
	-commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' plus uncommitted changes of the other helpers')" \
	-loadavg "$loadavg_start / $(cut -d' ' -f1-3 /proc/loadavg)" -elapsed "$(($(date -u +%s) - started))"
if [[ -z ${SUPPLEMENT_TITLE:-} && $HEADING == "## Load benchmark" ]]; then
	cp "$results" "$root/bench/last-results.tsv"
	cp "$rss" "$root/bench/last-rss.tsv"
fi
log "done in $(($(date -u +%s) - started)) s"
