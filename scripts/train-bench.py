#!/usr/bin/env python3
"""Fits scikit-learn's Ridge on the design matrices `cablecar-bench train` exported and prints
`RESULT {json}`: total fit+predict seconds, validation MAE over all matrices, and the largest
difference between scikit-learn's and Swift's standardized coefficients."""
import json
import sys
import time

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler

directory = sys.argv[1]
meta = json.load(open(f"{directory}/meta.json"))
total_seconds = 0.0
absolute_error = 0.0
count = 0
max_difference = 0.0
for entry in meta["matrices"]:
    x = np.load(f"{directory}/{entry['x']}")
    y = np.load(f"{directory}/{entry['y']}")
    n = entry["training_rows"]
    started = time.perf_counter()
    scaler = StandardScaler().fit(x[:n])
    model = Ridge(alpha=entry["penalty"], solver="cholesky").fit(scaler.transform(x[:n]), y[:n])
    predicted = model.predict(scaler.transform(x[n:]))
    total_seconds += time.perf_counter() - started
    absolute_error += float(np.sum(np.abs(predicted - y[n:])))
    count += len(predicted)
    difference = np.max(np.abs(model.coef_ - np.asarray(entry["swift_standardized_coefficients"])))
    max_difference = max(max_difference, float(difference))
    print(f"{entry['key']}: {x.shape[0]} rows, penalty {entry['penalty']}, max |Δcoef| {difference:.3g}", file=sys.stderr)

print("RESULT " + json.dumps({
    "seconds": total_seconds,
    "validation_mae": absolute_error / max(count, 1),
    "max_coefficient_difference": max_difference,
}))
