#!/usr/bin/env bash
# bench/oidc.sh runs Rollcall's OpenID Connect throughput benchmark and
# writes the "## OpenID Connect benchmark" section of BENCHMARKS.md (the
# other sections are left alone).
#
# It builds rollcall and the tools in bench/, then for SQLite and for
# PostgreSQL (a throwaway cluster in a temp dir, fsync on) seeds 1,000 users
# (bench/seed), starts `rollcall serve --rate-limit 0` on 127.0.0.1,
# registers a confidential client, puts every user in three groups (one
# with a custom claim; the codes ask for openid profile email groups) and
# mints authorization codes through the store (bench/oidcseed), and measures with bench/load, at 8 and 64
# connections:
#
#   oidc-token     code exchanges per second (POST /oauth2/token, PKCE,
#                  client secret, RS256 ID token), against the signing
#                  ceiling: RS256 signatures per second of the same claims
#                  with a key of the server's size, one goroutine per core
#                  (bench/load -scenario sign-ceiling);
#   oidc-userinfo  GET /oauth2/userinfo per second with opaque access
#                  tokens, against the HTTP ceiling (bench/ceiling).
#
# The first PREP_CODES (default 1000) exchanges, not recorded, warm the
# server and provide the access tokens of the userinfo cells and the ID
# token whose claims the signing ceiling signs. Each token cell gets codes
# of its own: twice what the signing ceiling's rate needs over the cell and
# its warm-up (a cell that runs out fails rather than measuring less). Everything listens on 127.0.0.1 only and is removed at
# the end.
#
#   bench/oidc.sh                                # the full run, two to three minutes on 2 cores
#   DURATION=2s BACKENDS=sqlite bench/oidc.sh    # a quick rehearsal
#   OUT=/tmp/oidc.md bench/oidc.sh               # write the section elsewhere
#   USER_GROUPS=0 OUT=/tmp/oidc.md bench/oidc.sh # people in no group, no groups scope
#
# WARMUP (default 1s) precedes every cell. Needs Go, curl, and PostgreSQL's
# binaries (apt-get install -y postgresql).
set -euo pipefail

DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
USERS=${USERS:-1000}
CONNS=${CONNS:-"8 64"}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PREP_CODES=${PREP_CODES:-1000}
USER_GROUPS=${USER_GROUPS:-3}
OUT=${OUT:-BENCHMARKS.md}

cd "$(dirname "$0")/.."
BENCH_NAME=oidcbench
# shellcheck source=bench/lib.sh
source bench/lib.sh

# seconds turns a Go duration of whole or fractional seconds ("5s",
# "1.5s") into a number of seconds.
seconds() {
	[[ $1 =~ ^[0-9.]+s$ ]] || {
		echo "oidcbench: durations must be in seconds, like 5s (got $1)" >&2
		exit 2
	}
	echo "${1%s}"
}

log "building into $bin"
go build -o "$bin/" ./cmd/rollcall ./bench/load ./bench/seed ./bench/oidcseed ./bench/ceiling ./bench/oidcreport

results=$work/results.tsv
: >"$results"
loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%s)
signing=""

start_ceiling

# load BACKEND ARGS... runs bench/load and appends its result line. A cell
# with errors is recorded (the report counts them as a missed target); one
# without a result stops the run.
load() {
	local backend=$1 line
	shift
	line=$("$bin/load" -cpu-split "$@" 2>>"$work/load.log" || true)
	if [[ -z $line ]]; then
		log "$backend: bench/load $* produced no result; the end of its log:"
		tail -5 "$work/load.log" >&2
		exit 1
	fi
	printf '%s\t%s\n' "$backend" "$line" >>"$results"
	log "$backend: $(tail -1 "$work/load.log" | sed 's/^load: //')"
}

# block BACKEND DSN seeds DSN, serves it and runs every cell against it.
block() {
	local backend=$1 dsn=$2 port pid url rate need
	local dbpid=() # -db-pid of the PostgreSQL postmaster, for the database's CPU
	log "$backend: seeding $USERS users"
	"$bin/seed" -database "$dsn" -from 0 -to "$USERS" 2>&1 | sed 's/^/  /' >&2
	if [[ $dsn == postgres://* ]]; then
		psql -q -h 127.0.0.1 -p "$pgport" -U postgres -c 'VACUUM (ANALYZE)' rollcall
		dbpid=(-db-pid "$(head -1 "$pgdir/data/postmaster.pid")")
	fi
	port=$(free_port)
	url=http://127.0.0.1:$port
	"$bin/rollcall" serve --database "$dsn" --addr "127.0.0.1:$port" --rate-limit 0 >"$work/server-$backend.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	wait_healthy "$url" "$pid" "$work/server-$backend.log"

	# The client (its secret stays in $work/client.json, mode 0600), and
	# the exchanges that warm the server and give the userinfo cells their
	# access tokens and the signing ceiling its ID token. Not recorded.
	"$bin/oidcseed" -database "$dsn" -client "$work/client-$backend.json" -users "$USERS" -groups "$USER_GROUPS" \
		-codes "$PREP_CODES" -out "$work/codes-prep.txt" 2>&1 | sed 's/^/  /' >&2
	"$bin/load" -url "$url" -scenario oidc-token -client "$work/client-$backend.json" -codes "$work/codes-prep.txt" \
		-c 8 -n "$PREP_CODES" -warmup 0 -tokens-out "$work/tokens-$backend.tsv" >/dev/null 2>>"$work/load.log" || {
		log "$backend: the preparing exchanges failed; the end of the load log:"
		tail -3 "$work/load.log" >&2
		exit 1
	}

	load "$backend" -url "$url" -scenario sign-ceiling -tokens "$work/tokens-$backend.tsv" -d "$DURATION" -warmup "$WARMUP"
	signing=$(sed -n 's/^load: sign-ceiling: //p' "$work/load.log" | tail -1)
	rate=$(tail -1 "$results" | cut -f6)
	# Codes for a cell: twice the signing ceiling's rate over the cell and
	# its warm-up, and a thousand more. The server cannot sign faster than
	# the machine can; the margin is for a ceiling measured low while
	# something else ran.
	need=$(awk -v r="$rate" -v d="$(seconds "$DURATION")" -v w="$(seconds "$WARMUP")" 'BEGIN { printf "%d", r * (d + w) * 2 + 1000 }')

	for c in $CONNS; do
		load "$backend" -url "$ceiling_url" -scenario ceiling -c "$c" -d "$DURATION" -warmup "$WARMUP"
		log "$backend: minting $need codes for the exchanges at $c connections"
		"$bin/oidcseed" -database "$dsn" -client "$work/client-$backend.json" -users "$USERS" -groups "$USER_GROUPS" \
			-codes "$need" -out "$work/codes-$c.txt" 2>&1 | sed 's/^/  /' >&2
		if [[ $dsn == postgres://* ]]; then
			# Minting wrote tens of thousands of rows just now: vacuum them
			# here rather than have autovacuum do it during the cell.
			psql -q -h 127.0.0.1 -p "$pgport" -U postgres -c 'VACUUM (ANALYZE) oidc_auth_requests' rollcall
		fi
		load "$backend" -url "$url" -pid "$pid" "${dbpid[@]}" -scenario oidc-token -client "$work/client-$backend.json" \
			-codes "$work/codes-$c.txt" -c "$c" -d "$DURATION" -warmup "$WARMUP"
		load "$backend" -url "$url" -pid "$pid" "${dbpid[@]}" -scenario oidc-userinfo -tokens "$work/tokens-$backend.tsv" \
			-c "$c" -d "$DURATION" -warmup "$WARMUP"
	done
	kill -TERM "$pid"
	wait "$pid" || true
}

for backend in $BACKENDS; do
	case $backend in
	sqlite)
		block sqlite "$work/rollcall.db"
		rm -f "$work"/rollcall.db*
		;;
	postgres)
		start_postgres
		block postgres "postgres://postgres@127.0.0.1:$pgport/rollcall?sslmode=disable"
		stop_postgres
		;;
	*)
		echo "oidcbench: unknown backend $backend (use sqlite and/or postgres)" >&2
		exit 2
		;;
	esac
done

log "writing $OUT"
command=bench/oidc.sh
if [[ $USER_GROUPS != 3 ]]; then command="USER_GROUPS=$USER_GROUPS $command"; fi
"$bin/oidcreport" -results "$results" -out "$OUT" -command "${BENCH_COMMAND:-$command}" \
	-duration "$DURATION" -warmup "$WARMUP" -users "$USERS" -groups "$USER_GROUPS" -signing "$signing" \
	-commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' plus uncommitted changes')" \
	-loadavg "$loadavg_start / $(cut -d' ' -f1-3 /proc/loadavg)" -elapsed "$(($(date -u +%s) - started))"
if [[ $OUT == BENCHMARKS.md ]]; then cp "$results" bench/oidc-last-results.tsv; fi
log "done in $(($(date -u +%s) - started)) s"
