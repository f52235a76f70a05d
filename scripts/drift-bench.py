#!/usr/bin/env python3
"""Worker of scripts/bench-drift: same data for Swift, scipy and Evidently, timed in one run.

Data: per side `rows` rows, column `group` (g0..g{G-1}, round robin) and features f0..f{F-1},
normal with mean f and sd f+1; in the current file every odd group has its first F/2 features
shifted by 0.3 sd. Values are written with 4 decimals and read back with round-trip precision,
so every tool sees identical numbers.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
from scipy import stats


def generate(path, rows, features, groups, seed, shifted):
    rng = np.random.default_rng(seed)
    data = {"group": np.array([f"g{i % groups}" for i in range(rows)])}
    odd = (np.arange(rows) % groups) % 2 == 1
    for f in range(features):
        x = rng.standard_normal(rows) * (f + 1) + f
        if shifted and f < features // 2:
            x = np.where(odd, x + 0.3 * (f + 1), x)
        data[f"f{f}"] = np.round(x, 4)
    pd.DataFrame(data).to_csv(path, index=False, float_format="%.4f")


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def evidently_decisions(snapshot):
    """Per-column drift decisions from a DataDriftPreset snapshot (Evidently >= 0.7)."""
    out = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric.get("config", {})
        if not isinstance(config, dict) or "ValueDrift" not in str(config.get("type", "")):
            continue
        method, threshold, value = config.get("method", ""), config.get("threshold"), float(metric["value"])
        if "K-S" in method:
            drifted = value <= threshold
        elif "p_value" in method:
            drifted = value < threshold
        else:
            drifted = value >= threshold
        out[config["column"]] = bool(drifted)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--features", type=int, default=20)
    p.add_argument("--groups", type=int, default=10)
    p.add_argument("--bench", required=True)
    p.add_argument("--cli", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--skip-evidently", action="store_true")
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    ref_path = os.path.join(a.workdir, f"reference-{a.rows}x{a.features}x{a.groups}.csv")
    cur_path = os.path.join(a.workdir, f"current-{a.rows}x{a.features}x{a.groups}.csv")
    if not (os.path.exists(ref_path) and os.path.exists(cur_path)):
        print(f"generating {a.rows} rows x {a.features} features x {a.groups} groups per side ...", file=sys.stderr)
        generate(ref_path, a.rows, a.features, a.groups, 1, False)
        generate(cur_path, a.rows, a.features, a.groups, 2, True)

    # Swift first, while the page cache is warm for everyone equally afterwards.
    bench = subprocess.run([a.bench, "drift", "--rows", str(a.rows), "--features", str(a.features), "--groups", str(a.groups),
                            "--reference", ref_path, "--current", cur_path], capture_output=True, text=True, check=True)
    print(bench.stdout.strip())
    swift = json.loads(next(l for l in bench.stdout.splitlines() if l.startswith("RESULT "))[7:])
    out_json = os.path.join(a.workdir, "cli-report.json")
    cli_seconds, _ = timed(lambda: subprocess.run([a.cli, "drift", "compare", "--reference", ref_path, "--current", cur_path,
                                                   "--by", "group", "--format", "json", "--output", out_json],
                                                  check=True, capture_output=True))
    with open(out_json) as f:
        cli_report = json.load(f)
    cli_decisions = {g["group"]: {x["feature"]: x.get("drifted") for x in g["features"]} for g in cli_report["groups"]}

    read_seconds, (ref, cur) = timed(lambda: (pd.read_csv(ref_path, float_precision="round_trip"),
                                              pd.read_csv(cur_path, float_precision="round_trip")))
    features = [c for c in ref.columns if c != "group"]
    ref_groups = {g: df for g, df in ref.groupby("group")}
    cur_groups = {g: df for g, df in cur.groupby("group")}

    ks_seconds = wd_seconds = 0.0
    for g in ref_groups:
        for f in features:
            r, c = ref_groups[g][f].to_numpy(), cur_groups[g][f].to_numpy()
            t, _ = timed(lambda: stats.ks_2samp(r, c))
            ks_seconds += t
            t, _ = timed(lambda: stats.wasserstein_distance(r, c) / max(np.std(r), 0.001))
            wd_seconds += t

    ev_seconds, agree, total = None, 0, 0
    if not a.skip_evidently:
        from evidently import Report
        from evidently.presets import DataDriftPreset
        warnings.filterwarnings("ignore")
        ev_seconds = 0.0
        for g in ref_groups:
            r, c = ref_groups[g][features], cur_groups[g][features]
            t, snapshot = timed(lambda: Report([DataDriftPreset()]).run(current_data=c, reference_data=r))
            ev_seconds += t
            decisions = evidently_decisions(snapshot)
            for f in features:
                total += 1
                agree += decisions.get(f) == cli_decisions.get(g, {}).get(f)

    print()
    print(f"{'':38}{'seconds':>10}")
    rows = [
        ("Swift library (load+sort+compare)", swift["library_seconds"]),
        ("Swift statistics only (compare)", swift["compare_seconds"]),
        ("Swift end to end (runner, JSON)", swift["end_to_end_seconds"]),
        ("cablecar drift compare (process)", cli_seconds),
        ("pandas read_csv (both files)", read_seconds),
        ("scipy ks_2samp per feature+group", ks_seconds),
        ("scipy wasserstein (normed) per f+g", wd_seconds),
    ]
    if ev_seconds is not None:
        rows.append(("Evidently DataDriftPreset per group", ev_seconds))
    for name, s in rows:
        print(f"{name:38}{s:10.3f}")
    print()
    e2e = cli_seconds
    print(f"scipy KS / Swift statistics:        {ks_seconds / swift['compare_seconds']:8.1f}x")
    print(f"scipy Wasserstein / Swift statistics: {wd_seconds / swift['compare_seconds']:6.1f}x")
    print(f"(scipy KS + read_csv) / CLI end to end: {(ks_seconds + read_seconds) / e2e:5.1f}x")
    if ev_seconds is not None:
        print(f"Evidently (excl. read_csv) / CLI end to end: {ev_seconds / e2e:6.1f}x   (target >= 50x)")
        print(f"drift decisions equal to Evidently's: {agree} of {total}")


if __name__ == "__main__":
    main()
