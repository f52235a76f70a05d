#!/usr/bin/env python3
"""LightGBM on exactly the ridge's inputs (issue 16): how much a tree ensemble gains.

Reads what `cablecar-bench forecast-quality --export-design DIR` wrote: per target and horizon
the trainer's own fitting rows (leave-one-out averages, label = actual minus the recent level)
and the test rows the fitted ridge serves. Fits LightGBM (deterministic, one thread) on the
fitting rows and prints, on the same test rows, the MAE of the ridge and of LightGBM and the
share of the reducible error each removes (historical average minus the noise floor).

    scripts/forecast-peer.py DIR [--trees 300] [--leaves 31] [--learning-rate 0.05] [--objective l2] [--levels-only]
"""
import argparse
import json
import os
import time

import lightgbm as lgb
import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--leaves", type=int, default=31)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--objective", default="l2", help="l2 (squared error) or l1 (absolute error)")
    parser.add_argument("--levels-only", action="store_true", help="without the level columns' differences")
    args = parser.parse_args()
    meta = json.load(open(os.path.join(args.directory, "meta.json")))
    columns = meta["columns"]
    recent = columns.index("recent_level")
    hood = columns.index("neighborhood")
    print(f"{'cell':<10} {'rows':>9} {'ridge':>8} {'lgbm':>8} {'average':>8} {'floor':>7}   share ridge -> lgbm   fit s")
    for cell in meta["cells"]:
        name = cell["cell"]
        load = lambda suffix: np.load(os.path.join(args.directory, f"{name}_{suffix}.npy"))
        fit_x, fit_y, test_x, test = load("fit_x"), load("fit_y"), load("test_x"), load("test")
        # The trainer's trees also read these columns as differences from the recent level
        # (`TreeInputLayout`); so does LightGBM, unless --levels-only.
        differences = [] if args.levels_only else [columns.index(c) for c in cell.get("differences", [])]
        if differences:
            fit_x = np.hstack([fit_x, fit_x[:, differences] - fit_x[:, [recent]]])
            test_x = np.hstack([test_x, test_x[:, differences] - test_x[:, [recent]]])
        actual, ridge, average, truth = test[:, 0], test[:, 1], test[:, 2], test[:, 3]
        started = time.time()
        parameters = {
            "objective": args.objective, "num_leaves": args.leaves, "learning_rate": args.learning_rate,
            "num_threads": 1, "deterministic": True, "force_row_wise": True, "verbose": -1, "seed": 0,
        }
        model = lgb.train(parameters, lgb.Dataset(fit_x, fit_y, categorical_feature=[hood]), num_boost_round=args.trees)
        seconds = time.time() - started
        forecast = test_x[:, recent] + model.predict(test_x)
        known = ~np.isnan(truth)
        mae = lambda f: float(np.mean(np.abs(f - actual)))
        floor = float(np.mean(np.abs(truth[known] - actual[known])))
        share = lambda m: 100 * (mae(average) - m) / (mae(average) - floor)
        print(
            f"{name:<10} {len(fit_y):>9} {mae(ridge):>8.3f} {mae(forecast):>8.3f} {mae(average):>8.3f} {floor:>7.3f}"
            f"   {share(mae(ridge)):5.1f} -> {share(mae(forecast)):5.1f} %   {seconds:5.1f}")


if __name__ == "__main__":
    main()
