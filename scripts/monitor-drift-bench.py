#!/usr/bin/env python3
"""Worker of scripts/bench-monitor-drift: the monitor's drift workload in Swift and in Evidently.

`cablecar-bench monitor-drift` draws every value from SplitMix64; this script rebuilds the very
same numbers with NumPy (SplitMix64 is a counter-based mix, so it vectorizes), runs Evidently's
DataDriftPreset per day and neighborhood on them, scipy's exact Wasserstein distance per window,
and compares times and decisions (Evidently's default for a numerical column with more than 1,000
reference rows: normalized Wasserstein distance >= 0.1).
"""
import argparse
import json
import subprocess
import time
import warnings

import numpy as np
import pandas as pd
from scipy import stats

GAMMA = np.uint64(0x9E3779B97F4A7C15)


def normalish(seed, count):
    """SplitMix64(seed).normalish() drawn `count` times, bit for bit as in Swift."""
    k = np.arange(1, 4 * count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + k * GAMMA
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
    u = u.reshape(count, 4)
    s = u[:, 0] + u[:, 1]
    s = s + u[:, 2]
    s = s + u[:, 3]
    return (s - 2.0) * 1.7320508075688772


def values(seed, count, feature, shift):
    scale = float(feature + 1)
    x = float(feature) + scale * normalish(seed, count)
    return x + 0.5 * scale if shift else x


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def evidently_distances(snapshot):
    out = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric.get("config", {})
        if isinstance(config, dict) and "ValueDrift" in str(config.get("type", "")):
            out[config["column"]] = (float(metric["value"]), config.get("method", ""), config.get("threshold"))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bench", required=True)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--neighborhoods", type=int, default=12)
    p.add_argument("--features", type=int, default=30)
    p.add_argument("--reference-rows", type=int, default=20_000)
    p.add_argument("--window-rows", type=int, default=2_880)
    a = p.parse_args()
    D, N, F = a.days, a.neighborhoods, a.features

    out = subprocess.run([a.bench, "monitor-drift", "--days", str(D), "--neighborhoods", str(N), "--features", str(F),
                          "--reference-rows", str(a.reference_rows), "--window-rows", str(a.window_rows)],
                         capture_output=True, text=True, check=True).stdout
    print("\n".join(l for l in out.splitlines() if not l.startswith("RESULT ")))
    swift = json.loads(next(l for l in out.splitlines() if l.startswith("RESULT "))[7:])

    reference = {n: pd.DataFrame({f"f{f}": values(n * 1000 + f + 1, a.reference_rows, f, False) for f in range(F)})
                 for n in range(N)}

    def window(d, n):
        return pd.DataFrame({f"f{f}": values(1_000_000 + d * 10_000 + n * 100 + f, a.window_rows, f,
                                              n % 2 == 1 and d >= D // 2 and f < F // 2) for f in range(F)})

    from evidently import Report
    from evidently.presets import DataDriftPreset
    warnings.filterwarnings("ignore")
    evidently_seconds = scipy_seconds = 0.0
    agree = total = 0
    worst_vs_exact = 0.0
    disagreements = []
    methods = set()
    for d in range(D):
        for n in range(N):
            cur = window(d, n)
            t, snapshot = timed(lambda: Report([DataDriftPreset()]).run(current_data=cur, reference_data=reference[n]))
            evidently_seconds += t
            ev = evidently_distances(snapshot)
            for f in range(F):
                col = f"f{f}"
                r, c = reference[n][col].to_numpy(), cur[col].to_numpy()
                t, exact = timed(lambda: stats.wasserstein_distance(r, c) / max(np.std(r), 0.001))
                scipy_seconds += t
                ours = swift["distances"][f"{d}|{n}|{f}"]
                worst_vs_exact = max(worst_vs_exact, abs(ours - exact))
                value, method, threshold = ev[col]
                methods.add(f"{method} >= {threshold}")
                total += 1
                ev_drift = value >= threshold
                if ev_drift == (ours >= 0.1):
                    agree += 1
                else:
                    disagreements.append((d, n, f, value, ours))

    ours_total = swift["referenceSeconds"] + swift["compareSeconds"]
    print()
    print(f"{'':52}{'seconds':>10}")
    for name, s in [
        ("Swift: reference profiles (once per model version)", swift["referenceSeconds"]),
        ("Swift: compare every window", swift["compareSeconds"]),
        ("Swift: total", ours_total),
        ("scipy: exact normalized Wasserstein per window", scipy_seconds),
        ("Evidently: DataDriftPreset per day x neighborhood", evidently_seconds),
    ]:
        print(f"{name:52}{s:10.3f}")
    print()
    print(f"Evidently's test: {', '.join(sorted(methods))}")
    print(f"windows: {D} days x {N} neighborhoods x {F} features = {total}; reference {a.reference_rows} rows, window {a.window_rows} rows")
    print(f"Evidently / Swift total: {evidently_seconds / ours_total:8.1f}x   (target >= 50x)")
    print(f"scipy exact / Swift compare: {scipy_seconds / swift['compareSeconds']:6.1f}x")
    print(f"drift decisions identical to Evidently's: {agree} of {total}")
    for d, n, f, ev, ours in disagreements[:10]:
        print(f"  day {d} neighborhood {n} f{f}: Evidently {ev:.4f}, Swift {ours:.4f}")
    print(f"largest |summary - exact| normalized Wasserstein distance: {worst_vs_exact:.4f}")
    print(f"Swift resident memory {swift['residentMiB']:.0f} MiB; reference profile {swift['profileBytes']} bytes of JSON")


if __name__ == "__main__":
    main()
