"""Scenario 5: CPython allocation-heavy work (objects, lists, dicts, big buffers) for ROUNDS rounds.

Prints "WALL CPU OPS" like the C workloads (bench/timing.h), OPS = rounds.
"""
import sys
import time


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


def one_round(r):
    points = [Point(i, r) for i in range(100_000)]
    table = {i: str(i) for i in range(100_000)}
    nested = [[j for j in range(50)] for _ in range(2_000)]
    buffers = [bytearray(8 << 20) for _ in range(4)]
    for b in buffers:
        b[::4096] = b"x" * len(b[::4096])  # make every page resident
    text = "".join(table[i] for i in range(0, 100_000, 7))
    return len(points) + len(table) + len(nested) + sum(len(b) for b in buffers) + len(text)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    wall, cpu = time.perf_counter(), time.process_time()
    for r in range(rounds):
        one_round(r)
    print(f"{time.perf_counter() - wall:.6f} {time.process_time() - cpu:.6f} {rounds}")


if __name__ == "__main__":
    main()
