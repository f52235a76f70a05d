#!/usr/bin/env python3
"""Fits scikit-learn's Ridge on the design matrices `cablecar-bench train` exported and prints
`RESULT {json}`: total fit+predict seconds, validation MAE over all matrices, and the largest
difference between scikit-learn's and Swift's standardized coefficients. When LightGBM is
installed, the same for gradient-boosted trees on the same rows and columns (the accuracy and
fit-time peer of issue 16): `lightgbm_seconds`, `lightgbm_validation_mae`."""
import json
import sys
import time

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler

directory = sys.argv[1]
meta = json.load(open(f"{directory}/meta.json"))


def score(fit_and_predict):
    """Fits every matrix on its training rows with `fit_and_predict(entry, x_train, y_train,
    x_validation)` (timed) and returns (seconds, validation MAE over all matrices)."""
    seconds = 0.0
    absolute_error = 0.0
    count = 0
    for entry in meta["matrices"]:
        x = np.load(f"{directory}/{entry['x']}")
        y = np.load(f"{directory}/{entry['y']}")
        n = entry["training_rows"]
        started = time.perf_counter()
        predicted = fit_and_predict(entry, x[:n], y[:n], x[n:])
        seconds += time.perf_counter() - started
        absolute_error += float(np.sum(np.abs(predicted - y[n:])))
        count += len(predicted)
    return seconds, absolute_error / max(count, 1)


max_difference = 0.0


def ridge(entry, x_train, y_train, x_validation):
    global max_difference
    scaler = StandardScaler().fit(x_train)
    model = Ridge(alpha=entry["penalty"], solver="cholesky").fit(scaler.transform(x_train), y_train)
    difference = float(np.max(np.abs(model.coef_ - np.asarray(entry["swift_standardized_coefficients"]))))
    max_difference = max(max_difference, difference)
    print(f"{entry['key']}: {len(x_train) + len(x_validation)} rows, penalty {entry['penalty']}, max |Δcoef| {difference:.3g}",
          file=sys.stderr)
    return model.predict(scaler.transform(x_validation))


seconds, mae = score(ridge)
result = {"seconds": seconds, "validation_mae": mae, "max_coefficient_difference": max_difference}

try:
    import lightgbm
except ImportError:
    lightgbm = None
if lightgbm is not None:
    # One model per matrix, as the ridge; a fixed, common configuration (no tuning on the
    # validation rows it is scored on), one thread and deterministic, as the Swift fits are.
    def trees(entry, x_train, y_train, x_validation):
        model = lightgbm.LGBMRegressor(
            n_estimators=300, learning_rate=0.05, num_leaves=31, min_child_samples=50, subsample=1.0,
            n_jobs=1, deterministic=True, force_row_wise=True, verbose=-1, random_state=0)
        return model.fit(x_train, y_train).predict(x_validation)

    seconds, mae = score(trees)
    result.update({"lightgbm_version": lightgbm.__version__, "lightgbm_seconds": seconds, "lightgbm_validation_mae": mae})

print("RESULT " + json.dumps(result))
