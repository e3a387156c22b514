#!/usr/bin/env bash
# Measures the live screen in a real terminal: CPU share, frames/s, bytes/s written and thread wake-ups of
# `roomwatch demo --rate RATE` running at 200×60 inside a detached tmux session.
#   usage: [ROOMS=N] benches/tui_measure.sh RATE [SECONDS] [BINARY]
# With ROOMS=N (N > 1) it runs `roomwatch watch --demo N --rate RATE` instead: N simulated rooms, each at RATE.
# Frames are counted from the synchronized-output brackets (ESC [ ? 2026 h) the runner writes once per frame,
# captured with `tmux pipe-pane`; CPU from utime+stime in /proc/PID/stat; wake-ups from the voluntary and
# involuntary context switches of all the process's threads; event-to-screen latency (p50/p99 over the whole run,
# from each batch's arrival to the end of the frame that shows it) from the runner's log.
set -euo pipefail
rate=${1:?rate}
secs=${2:-30}
bin=$(realpath "${3:-target/release/roomwatch}")
sock="rw-measure-$$"
dir=$(mktemp -d)
tm() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null || true; rm -rf "$dir"' EXIT

what="demo"
if [ "${ROOMS:-1}" -gt 1 ]; then what="watch --demo $ROOMS"; fi
tm new-session -d -x 200 -y 60 "sh -c 'echo \$\$ > $dir/pid; exec $bin $what --rate $rate --no-journal --summary-dir $dir --log-file $dir/log'"
tm pipe-pane -o -t 0 "cat > $dir/out"
sleep 3
pid=$(cat "$dir/pid")

sample() {
  local ticks frames bytes switches
  ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  frames=$(grep -a -o $'\e\\[?2026h' "$dir/out" | wc -l)
  bytes=$(stat -c %s "$dir/out")
  switches=$(cat /proc/"$pid"/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s}')
  echo "$ticks $frames $bytes $switches"
}

read -r t0 f0 b0 s0 < <(sample)
sleep "$secs"
read -r t1 f1 b1 s1 < <(sample)
hz=$(getconf CLK_TCK)
awk -v t="$((t1 - t0))" -v hz="$hz" -v s="$secs" -v f="$((f1 - f0))" -v b="$((b1 - b0))" -v w="$((s1 - s0))" -v r="$rate" -v n="${ROOMS:-1}" 'BEGIN {
  printf "rooms=%s rate=%s ev/s  window=%ss  cpu=%.2f%% of a core  frames/s=%.2f  bytes/s=%.0f  wakeups/s=%.1f\n",
    n, r, s, 100 * t / hz / s, f / s, b / s, w / s
}'
tm send-keys -t 0 q
# Let it write its summary and its last log lines before the trap removes the directory.
sleep 1
# Event-to-screen latency over the whole run (src/run/latency.rs), as the runner logged it on quitting.
grep -a "screen latency" "$dir/log" | sed -E 's/.*(p50_ms=[0-9]+ p99_ms=[0-9]+ events=[0-9]+).*/latency: \1/' || echo "latency: not logged"
