#!/usr/bin/env python3
"""Generates Tests/CablecarDriftTests/Fixtures/scipy-reference.json: the values scipy (and
Evidently's stat-test code) give on fixed inputs, which CablecarDrift must reproduce to 1e-9.

Samples are not stored; they are described by a seed and a few parameters and regenerated
bit-for-bit by the Swift tests with the same SplitMix64 generator (integer arithmetic plus
IEEE additions and multiplications only, so both languages produce identical doubles).

Run:  python3 scripts/drift-fixtures.py            (needs numpy and scipy)
      .cablecar/bench-venv/bin/python scripts/drift-fixtures.py   (also checks Evidently)
"""
import json
import math
import os
import sys

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance

MASK = (1 << 64) - 1
SQRT3 = 1.7320508075688772


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)


def sample(spec):
    """spec: seed, n, shape (uniform|normalish), scale, shift, decimals (optional)."""
    rng = SplitMix64(spec["seed"])
    out = []
    for _ in range(spec["n"]):
        if spec["shape"] == "uniform":
            x = rng.uniform()
        else:  # Irwin-Hall(4), centred and scaled to unit variance
            s = rng.uniform() + rng.uniform()
            s = s + rng.uniform()
            s = s + rng.uniform()
            x = (s - 2.0) * SQRT3
        x = x * spec["scale"] + spec["shift"]
        if "decimals" in spec:
            f = 10 ** spec["decimals"]
            x = math.floor(x * f) / f
        out.append(x)
    return np.array(out, dtype=np.float64)


def categories(spec):
    """spec: seed, n, cumulative (list of increasing thresholds in (0,1]), labels."""
    rng = SplitMix64(spec["seed"])
    cum = spec["cumulative"]
    labels = spec["labels"]
    out = []
    for _ in range(spec["n"]):
        u = rng.uniform()
        i = 0
        while i < len(cum) - 1 and u >= cum[i]:
            i += 1
        out.append(labels[i])
    return out


def S(seed, n, shape="normalish", scale=1.0, shift=0.0, decimals=None):
    d = {"seed": seed, "n": n, "shape": shape, "scale": scale, "shift": shift}
    if decimals is not None:
        d["decimals"] = decimals
    return d


# Evidently 0.7 legacy/calculations/stattests/utils.py::get_binned_data, restated for numpy
# arrays without NaNs (Evidently drops NaN and +-inf before calling it).
def evidently_binned(ref, cur, fill_zeroes):
    if len(np.unique(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        rp = np.histogram(ref, bins)[0] / len(ref)
        cp = np.histogram(cur, bins)[0] / len(cur)
    else:
        keys = sorted(set(np.unique(ref)) | set(np.unique(cur)))
        rp = np.array([np.sum(ref == k) / len(ref) for k in keys])
        cp = np.array([np.sum(cur == k) / len(cur) for k in keys])
    if fill_zeroes:
        for arr in (rp, cp):
            m = arr[arr != 0].min()
            np.place(arr, arr == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return rp, cp


def evidently_checks(ref, cur):
    """When Evidently is importable, confirm our restatement against its own functions."""
    try:
        import pandas as pd
        from evidently.legacy.calculations.stattests.jensenshannon import _jensenshannon
        from evidently.legacy.calculations.stattests.psi import _psi
        from evidently.legacy.calculations.stattests.wasserstein_distance_norm import _wasserstein_distance_norm
        from evidently.legacy.core import ColumnType
    except ImportError:
        return None
    r, c = pd.Series(ref), pd.Series(cur)
    return {
        "jensenshannon": float(_jensenshannon(r, c, ColumnType.Numerical, 0.1)[0]),
        "psi": float(_psi(r, c, ColumnType.Numerical, 0.1)[0]),
        "wasserstein_norm": float(_wasserstein_distance_norm(r, c, ColumnType.Numerical, 0.1)[0]),
    }


def quantile_psi(ref, cur, bins=10):
    """CablecarDrift's documented PSI: cut points at reference deciles (NumPy linear quantiles,
    duplicates removed), right-closed bins, Evidently's empty-bucket fill."""
    cuts = []
    for i in range(1, bins):
        q = float(np.quantile(ref, i / bins))
        if not cuts or cuts[-1] != q:
            cuts.append(q)
    def shares(x):
        x = np.sort(x)
        idx = np.searchsorted(x, cuts, side="right")
        counts = np.diff(np.concatenate([[0], idx, [len(x)]]))
        return counts / len(x)
    rp, cp = shares(ref), shares(cur)
    for arr in (rp, cp):
        m = arr[arr != 0].min()
        np.place(arr, arr == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return float(np.sum((rp - cp) * np.log(rp / cp)))


def numeric_case(name, ref_spec, cur_spec):
    ref, cur = sample(ref_spec), sample(cur_spec)
    ks = stats.ks_2samp(ref, cur)
    n1, n2 = len(ref), len(cur)
    method = "exact" if max(n1, n2) <= 10000 else "asymptotic"
    wd = stats.wasserstein_distance(ref, cur)
    rp, cp = evidently_binned(ref, cur, False)
    rpf, cpf = evidently_binned(ref, cur, True)
    case = {
        "name": name,
        "reference": ref_spec,
        "current": cur_spec,
        "ks_statistic": float(ks.statistic),
        "ks_pvalue": float(ks.pvalue),
        "ks_method": method,
        "wasserstein": float(wd),
        "wasserstein_norm": float(wd / max(np.std(ref), 0.001)),
        "jensenshannon_evidently": float(distance.jensenshannon(rp, cp)),
        "psi_evidently": float(np.sum((rpf - cpf) * np.log(rpf / cpf))),
        "psi_quantile10": quantile_psi(ref, cur),
        "sturges_edges": np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges").tolist()
        if len(np.unique(ref)) > 20 else None,
    }
    ev = evidently_checks(ref, cur)
    if ev is not None:
        for key, ours in (("jensenshannon", case["jensenshannon_evidently"]), ("psi", case["psi_evidently"]),
                          ("wasserstein_norm", case["wasserstein_norm"])):
            assert abs(ev[key] - ours) <= 1e-12 * max(1.0, abs(ours)), (name, key, ev[key], ours)
    return case


def categorical_case(name, ref_spec, cur_spec):
    ref, cur = categories(ref_spec), categories(cur_spec)
    keys = sorted(set(ref) | set(cur))
    rc = np.array([ref.count(k) for k in keys], dtype=float)
    cc = np.array([cur.count(k) for k in keys], dtype=float)
    # Evidently chi_stat_test: chisquare(current counts, reference counts * n_cur / n_ref)
    chi = stats.chisquare(cc, rc * (len(cur) / len(ref)))
    case = {
        "name": name, "reference": ref_spec, "current": cur_spec, "keys": keys,
        "chisquare_statistic": float(chi.statistic), "chisquare_pvalue": float(chi.pvalue),
        "jensenshannon": float(distance.jensenshannon(rc / len(ref), cc / len(cur))),
    }
    if len(keys) <= 2:
        # Evidently z_stat_test: indicator "not the first sorted key", pooled two-proportion z.
        r = np.array([0 if x == keys[0] else 1 for x in ref])
        c = np.array([0 if x == keys[0] else 1 for x in cur])
        p1, p2 = r.mean(), c.mean()
        pooled = (p1 * len(r) + p2 * len(c)) / (len(r) + len(c))
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / len(r) + 1 / len(c)))
        case["z_statistic"] = float(z)
        case["z_pvalue"] = float(2 * (1 - stats.norm.cdf(abs(z))))
    return case


def main():
    numeric = [
        numeric_case("exact equal n=10", S(1, 10), S(2, 10)),
        numeric_case("exact 20 vs 35", S(3, 20), S(4, 35, shift=0.3)),
        numeric_case("exact ties 50 vs 70", S(5, 50, decimals=1), S(6, 70, decimals=1)),
        numeric_case("exact shifted 100 vs 80", S(7, 100), S(8, 80, shift=0.8)),
        numeric_case("exact identical 40", S(9, 40), S(9, 40)),
        numeric_case("exact 1 vs 5", S(10, 1), S(11, 5)),
        numeric_case("exact 3000 vs 2000", S(12, 3000), S(13, 2000, shift=0.05)),
        numeric_case("exact 10000 vs 9999", S(14, 10000), S(15, 9999, shift=0.03)),
        numeric_case("exact 10000 vs 10000 shifted", S(16, 10000), S(17, 10000, shift=0.1)),
        numeric_case("exact uniform 500 vs 600 scaled", S(18, 500, shape="uniform", scale=3.0),
                     S(19, 600, shape="uniform", scale=3.2)),
        numeric_case("asymptotic 20000 vs 15000", S(20, 20000), S(21, 15000, shift=0.02)),
        numeric_case("asymptotic 12000 vs 60", S(22, 12000), S(23, 60, shift=0.2)),
        numeric_case("asymptotic 12000 vs 130", S(24, 12000), S(25, 130)),
        numeric_case("asymptotic 50000 vs 50000 same", S(26, 50000), S(27, 50000)),
        numeric_case("asymptotic 10001 vs 10001 shifted", S(28, 10001), S(29, 10001, shift=0.1)),
        numeric_case("asymptotic 200000 vs 150000 small shift", S(30, 200000), S(31, 150000, shift=0.005)),
        numeric_case("asymptotic ties 30000 vs 20000", S(32, 30000, decimals=1), S(33, 20000, decimals=1, shift=0.01)),
        numeric_case("asymptotic huge shift 20000 vs 20000", S(34, 20000), S(35, 20000, shift=3.0)),
        numeric_case("constant reference", S(36, 30, scale=0.0, shift=5.0), S(37, 40, decimals=2)),
    ]
    cat_labels = ["bus", "cable", "ferry", "rail", "tram"]
    categorical = [
        categorical_case("categorical 5 same", {"seed": 40, "n": 800, "cumulative": [0.2, 0.4, 0.6, 0.8, 1.0], "labels": cat_labels},
                         {"seed": 41, "n": 600, "cumulative": [0.2, 0.4, 0.6, 0.8, 1.0], "labels": cat_labels}),
        categorical_case("categorical 5 shifted", {"seed": 42, "n": 900, "cumulative": [0.2, 0.4, 0.6, 0.8, 1.0], "labels": cat_labels},
                         {"seed": 43, "n": 700, "cumulative": [0.3, 0.45, 0.6, 0.75, 1.0], "labels": cat_labels}),
        categorical_case("categorical 3 small", {"seed": 44, "n": 30, "cumulative": [0.5, 0.8, 1.0], "labels": ["a", "b", "c"]},
                         {"seed": 45, "n": 25, "cumulative": [0.4, 0.7, 1.0], "labels": ["a", "b", "c"]}),
        categorical_case("binary same", {"seed": 46, "n": 500, "cumulative": [0.3, 1.0], "labels": ["no", "yes"]},
                         {"seed": 47, "n": 400, "cumulative": [0.3, 1.0], "labels": ["no", "yes"]}),
        categorical_case("binary shifted", {"seed": 48, "n": 500, "cumulative": [0.3, 1.0], "labels": ["no", "yes"]},
                         {"seed": 49, "n": 400, "cumulative": [0.45, 1.0], "labels": ["no", "yes"]}),
    ]
    kstwo = []
    for n in [1, 2, 5, 10, 50, 140, 141, 500, 1000, 5000, 50000, 100000, 100001, 500000]:
        for x in [0.0001, 0.001, 0.003, 0.01, 0.02, 0.05, 0.08, 0.1, 0.2, 0.3, 0.45, 0.5, 0.6, 0.9, 0.99]:
            kstwo.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})
    smirnov = []
    for n in [2, 3, 10, 100, 1000, 20000, 1000001]:
        for x in [0.001, 0.01, 0.05, 0.1, 0.3, 0.5, 0.7, 0.95]:
            smirnov.append({"n": n, "x": x, "sf": float(special.smirnov(n, x))})
    chi2 = []
    for df in [1, 2, 3, 4, 9, 29, 100, 500]:
        for x in [0.01, 0.5, 1.0, 2.5, 7.0, 15.0, 40.0, 120.0, 480.0, 600.0]:
            chi2.append({"df": df, "x": x, "sf": float(stats.chi2.sf(x, df))})
    normal = [{"x": x, "cdf": float(special.ndtr(x))} for x in [-8.0, -3.3, -1.0, -0.2, 0.0, 0.4, 1.96, 3.0, 6.5]]
    js_vectors = [
        {"p": [1.0, 0.0], "q": [0.5, 0.5]},
        {"p": [0.1, 0.2, 0.7], "q": [0.3, 0.3, 0.4]},
        {"p": [3.0, 5.0, 0.0, 2.0], "q": [1.0, 1.0, 4.0, 4.0]},
        {"p": [0.25, 0.25, 0.25, 0.25], "q": [0.25, 0.25, 0.25, 0.25]},
    ]
    for v in js_vectors:
        v["distance"] = float(distance.jensenshannon(v["p"], v["q"]))
    chisq_vectors = [
        {"observed": [16.0, 18.0, 16.0, 14.0, 12.0, 12.0], "expected": [16.0, 16.0, 16.0, 16.0, 16.0, 8.0]},
        {"observed": [43.0, 52.0, 54.0, 40.0], "expected": [47.25, 47.25, 47.25, 47.25]},
    ]
    for v in chisq_vectors:
        r = stats.chisquare(v["observed"], v["expected"])
        v["statistic"], v["pvalue"] = float(r.statistic), float(r.pvalue)

    out = {
        "generated_by": "scripts/drift-fixtures.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "numeric": numeric,
        "categorical": categorical,
        "kstwo_sf": kstwo,
        "smirnov_sf": smirnov,
        "chi2_sf": chi2,
        "normal_cdf": normal,
        "jensenshannon": js_vectors,
        "chisquare": chisq_vectors,
    }
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "Tests", "CablecarDriftTests", "Fixtures", "scipy-reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
