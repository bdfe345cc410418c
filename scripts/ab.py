#!/usr/bin/env python3
"""Interleaved A/B timing: `scripts/ab.py ROUNDS CMD...` runs every command
once per round, in turn, for ROUNDS rounds, and prints each one's median wall
time, mean user/system time and its ratio to the first command's median.

Why not hyperfine here: on this shared VM the machine's speed drifts by 20-30%
over minutes, and hyperfine runs all of A before all of B, so drift lands in
the ratio. Interleaving puts A and B under the same conditions; use it to
decide between two builds, and hyperfine (scripts/bench.py) for the published
tables.
"""
import resource
import statistics
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rounds, commands = int(sys.argv[1]), sys.argv[2:]
    samples = {c: [] for c in commands}
    for c in commands:  # warm-up: page cache, binaries
        subprocess.run(c, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(rounds):
        for c in commands:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(c, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            samples[c].append((wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime))
    base = statistics.median(s[0] for s in samples[commands[0]])
    for c in commands:
        runs = samples[c]
        median = statistics.median(s[0] for s in runs)
        user = statistics.mean(s[1] for s in runs)
        system = statistics.mean(s[2] for s in runs)
        print(f"{median * 1e3:8.1f} ms median  user {user * 1e3:7.1f}  sys {system * 1e3:6.1f}  {median / base:5.2f}x  {c}")


if __name__ == "__main__":
    main()
