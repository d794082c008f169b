#!/usr/bin/env python3
"""make bench, inside a vmtest guest of N CPUs (tests/vmtest, VMTEST_BENCH=1): the BPF time per
run of memreap's programs and of the floor's empty ones on the same hooks, while scenario 1's
page-fault loop runs, with kernel.bpf_stats_enabled=1: one copy on each of the first COPIES
CPUs (4, or fewer CPUs; 256 MiB each), so that several CPUs write counters at once. What grows
with the number of possible CPUs is the work per event, whatever the copies. One line per
program: 'cpucost: CPUS OBSERVER HOOK RUNS NS_PER_RUN'."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_procs import (MEMREAP, Background, BenchError, BpfStats, bench_bin,  # noqa: E402
                         has_hooks, prog_stats, run_parallel, stats_delta)

ROUNDS = os.environ.get("CPUCOST_ROUNDS", "1")
COPIES = 1


def observers():
    return (("floor", Background("floor", [bench_bin("floor"), "raw"], has_hooks(7))),
            ("memreap", Background("memreap", [MEMREAP, "record", "-o", "/tmp/cpucost.rec"],
                                   has_hooks(7, "raw_tracepoint"), settle=0.5, timeout=300)))


def main():
    cpus = len(os.sched_getaffinity(0))
    with BpfStats():
        for name, bg in observers():
            bg.start()
            hooks = {prog: hook for _, hook, prog in bg.hooks()}
            before = prog_stats(set(hooks))
            run_parallel([bench_bin("pagefault"), ROUNDS], f"scenario 1 under {name}",
                         range(min(cpus, COPIES)), timeout=3600)
            progs = stats_delta(before, prog_stats(set(hooks)))
            bg.stop()
            for prog, p in sorted(progs.items()):
                if p["cnt"]:
                    print(f"cpucost: {cpus} {name} {hooks[prog]} {p['cnt']} "
                          f"{p['ns'] / p['cnt']:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"cpucost: error: {e}", flush=True)
        sys.exit(1)
