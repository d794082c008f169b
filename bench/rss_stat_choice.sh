#!/usr/bin/env bash
# Why memreap hooks the raw rss_stat tracepoint: one page-fault loop (256 MiB touched and unmapped,
# 4 KiB pages), interleaved A B C D runs in one session, median of RUNS each.
#   none       no probes
#   classic    an empty program on the classic kmem:rss_stat tracepoint
#   raw-floor  empty programs on memreap's five raw tracepoints
#   memreap    memreap record, system-wide, to a tmpfs file
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/bench
RUNS=${RUNS:-7}
ROUNDS=${ROUNDS:-10}
OUT=bench/results/rss_stat_choice.md
grep -q tracefs /proc/mounts || mount -t tracefs tracefs /sys/kernel/tracing

start_bg() { # command... ; waits for its "ready" or a second
	"$@" > /tmp/memreap-bench-bg.out 2>&1 &
	BG=$!
	for _ in $(seq 50); do grep -q ready /tmp/memreap-bench-bg.out 2>/dev/null && break; sleep 0.1; done
	sleep 0.5
}
stop_bg() { kill -INT "$BG"; wait "$BG" || true; }

declare -A times
for run in $(seq "$RUNS"); do
	for cfg in none classic raw-floor memreap; do
		case $cfg in
		none) ;;
		classic) start_bg $B/floor classic ;;
		raw-floor) start_bg $B/floor raw ;;
		memreap) start_bg build/memreap record -o /dev/shm/memreap-bench.rec ;;
		esac
		t=$($B/pagefault "$ROUNDS" | cut -d" " -f1) # WALL CPU OPS
		[ "$cfg" = none ] || stop_bg
		times[$cfg]+="$t "
	done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
base=$(echo "${times[none]}" | median)
{
	echo "# rss_stat: classic vs raw tracepoint"
	echo
	echo "$(date -u +%Y-%m-%d), $(uname -r), $(nproc) CPUs. \`RUNS=$RUNS ROUNDS=$ROUNDS bench/rss_stat_choice.sh\`"
	echo "Page-fault loop: $ROUNDS x (map 256 MiB, touch every 4 KiB page, unmap); median of $RUNS interleaved runs."
	echo
	echo "| configuration | seconds | vs no probes |"
	echo "| --- | --- | --- |"
	for cfg in none classic raw-floor memreap; do
		m=$(echo "${times[$cfg]}" | median)
		echo "| $cfg | $m | $(awk -v a="$m" -v b="$base" 'BEGIN {printf "%+.1f%%", (a / b - 1) * 100}') |"
	done
} | tee "$OUT"
rm -f /dev/shm/memreap-bench.rec
