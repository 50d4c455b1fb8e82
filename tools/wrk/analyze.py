#!/usr/bin/env python3
"""The benchmark's phase figures (RestartFigures, docs/benchmark.md) from restart-wrk.sh's output: the wrk buckets
(successes per 100 ms, both wrk processes summed) and the restart marks (trigger and serving, epoch ms).

Same definitions as the benchmark, at the 100 ms resolution of the buckets (a bucket belongs to a span when it
starts in it): steady = the 10 buckets before each trigger; child starting = trigger to S - 250 ms, switch = S +-
250 ms, after = S + 250 ms to S + 1250 ms (S = new pid serving); restart window = trigger to S + 1 s. Ratios are
summed over restarts against each restart's own steady level.

usage: analyze.py OUT_DIR"""
import glob
import os
import sys

out = sys.argv[1]
ok, bad, errors = {}, {}, {}
for path in sorted(glob.glob(os.path.join(out, "*.csv"))):
    for line in open(path):
        if line.startswith("# errors"):
            for field in line.split()[2:]:
                k, v = field.split("=")
                errors[k] = errors.get(k, 0) + int(v)
            continue
        b, n_ok, n_bad = (int(x) for x in line.strip().split(","))
        ok[b] = ok.get(b, 0) + n_ok
        bad[b] = bad.get(b, 0) + n_bad
restarts = [tuple(int(x) for x in line.split()[:2]) for line in open(os.path.join(out, "restarts.txt")) if line.strip()]
first, last = min(ok), max(ok)
run = range(first + 1, last)  # the first and last buckets are partial


def buckets(from_ms, to_ms):
    """Buckets starting in [from_ms, to_ms)."""
    return range(-(-from_ms // 100), -(-to_ms // 100))


def ratio(spans):
    seen = expected = 0.0
    for steady, bs in spans:
        seen += sum(ok.get(b, 0) for b in bs)
        expected += steady * len(bs)
    return seen / expected if expected else float("nan")


window, starting, switching, after, lows, steadies = [], [], [], [], [], []
in_windows = set()
for trigger, serving in restarts:
    steady_bs = buckets(trigger - 1000, trigger)
    steady = sum(ok.get(b, 0) for b in steady_bs) / len(steady_bs)
    steadies.append(steady * 10)
    in_windows.update(range(trigger // 100, (serving + 1000) // 100 + 1))
    if steady <= 0:
        continue
    switch_from = max(trigger, serving - 250)
    window.append((steady, buckets(trigger, serving + 1000)))
    starting.append((steady, buckets(trigger, switch_from)))
    switching.append((steady, buckets(switch_from, serving + 250)))
    after.append((steady, buckets(serving + 250, serving + 1250)))
    lows.append(min(ok.get(b, 0) for b in buckets(serving - 250, serving + 1250)) / steady)

serving_ms = sorted(s - t for t, s in restarts)
total_ok, total_bad = sum(ok.values()), sum(bad.values())
socket_errors = sum(v for k, v in errors.items() if k in ("connect", "read", "write", "timeout"))
print("| requests (2xx) | non-2xx | socket errors (connect/read/write/timeout) | steady req/s | restart windows / steady "
      "| child starting / steady | switch / steady | after / steady | 100 ms without a success: run / in windows "
      "| lowest 100 ms from the switch on / steady | trigger -> serving, median / max (ms) |")
print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
print("| %d | %d | %d (%s) | %.0f | %.2f | %.2f | %.2f | %.2f | %d / %d | %.2f | %d / %d |" % (
    total_ok, total_bad, socket_errors, " / ".join(str(errors.get(k, 0)) for k in ("connect", "read", "write", "timeout")),
    sum(steadies) / len(steadies), ratio(window), ratio(starting), ratio(switching), ratio(after),
    sum(1 for b in run if ok.get(b, 0) == 0), sum(1 for b in run if ok.get(b, 0) == 0 and b in in_windows),
    min(lows), serving_ms[len(serving_ms) // 2], serving_ms[-1]))
