#!/usr/bin/env bash
# Runs the load harness over several roomwatch builds in turn, ROUNDS times, each copied over
# target/release/roomwatch for its run (the harness runs that path), so that a slow phase of the box hits every
# build alike. One line per run: events/s, µs of CPU per event, user s, system s, peak RSS MB, the naive
# client's events/s in the same run, and roomwatch ÷ naive.
#   usage: [EVENTS=N] benches/interleave.sh ROUNDS BUILD...    (build the harness first:
#          cargo bench --bench load_harness --no-run; EVENTS defaults to 1000000)
set -euo pipefail
rounds=${1:?rounds}
shift
harness=$(ls target/release/deps/load_harness-* | grep -v '\.d$' | head -1)
saved=$(mktemp)
cp target/release/roomwatch "$saved"
trap 'cp "$saved" target/release/roomwatch; rm -f "$saved"' EXIT
for round in $(seq 1 "$rounds"); do
  for build in "$@"; do
    cp "$build" target/release/roomwatch
    out=$(EVENTS=${EVENTS:-1000000} "$harness" --bench 2>&1)
    rw=$(echo "$out" | grep '^roomwatch chaturbate' |
      sed -E 's/.*: ([0-9]+) events\/s, ([0-9.]+) µs CPU\/event \(user ([0-9.]+) s \+ sys ([0-9.]+) s\), peak RSS ([0-9.]+) MB.*/\1 \2 \3 \4 \5/')
    naive=$(echo "$out" | grep '^naive' | sed -E 's/.*: ([0-9]+) events\/s.*/\1/')
    ratio=$(awk -v a="${rw%% *}" -v b="$naive" 'BEGIN { printf "%.2f", a / b }')
    echo "$round $(basename "$build"): $rw | naive $naive | x$ratio"
  done
done
