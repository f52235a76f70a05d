"""A FastAPI + scikit-learn forecast server: the peer `cablecar-bench serving` measures
cablecar-forecast against.

It serves POST /v1/forecasts with the same request and response shape, from the very same
model artifact (Cablecar's ridge model: one linear model per target, horizon and neighborhood,
predicting the deviation from the historical average) and the same online feature vectors,
held in memory. Each linear model is a scikit-learn `Ridge` carrying the artifact's
coefficients, so a prediction is `Ridge.predict` on a row built as Cablecar builds it.

    CABLECAR_PEER_ARTIFACT=model.json CABLECAR_PEER_FEATURES=online.json \
        python forecast_peer.py --port 8094 --workers 2
"""

import argparse
import base64
import json
import math
import os
import struct
import uuid

import numpy as np
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sklearn.linear_model import Ridge

WEEK_MS = 7 * 24 * 3600 * 1000
DAY_MS = 24 * 3600 * 1000
STEP_MS = 5 * 60 * 1000
SLOTS = 2016
HORIZONS = [15, 30, 60]
TARGETS = {"speed_kmh": "speed", "flow_veh_h": "flow", "speed": "speed", "flow": "flow"}
WIRE = {"speed": "speed_kmh", "flow": "flow_veh_h"}
MAX_SEGMENTS = 300


def packed(text):
    raw = base64.b64decode(text)
    return np.array(struct.unpack("<%dd" % (len(raw) // 8), raw))


def slot_of_week(time):
    shifted = (time % WEEK_MS) + 3 * DAY_MS
    return ((shifted % WEEK_MS) + WEEK_MS) % WEEK_MS // STEP_MS


class HistoricalAverage:
    def __init__(self, table):
        self.index = {segment: i for i, segment in enumerate(table["segments"])}
        self.slot_means = packed(table["slot_means"])
        self.segment_means = packed(table["segment_means"])
        self.overall = table["overall_mean"]

    def slot_mean(self, segment, time):
        i = self.index.get(segment)
        if i is None:
            return None
        mean = self.slot_means[i * SLOTS + slot_of_week(time)]
        return None if math.isnan(mean) else float(mean)

    def fallback(self, segment):
        i = self.index.get(segment)
        if i is None or math.isnan(self.segment_means[i]):
            return self.overall
        return float(self.segment_means[i])

    def value(self, segment, time):
        mean = self.slot_mean(segment, time)
        return self.fallback(segment) if mean is None else mean


def ridge(solution):
    model = Ridge(alpha=solution["penalty"])
    model.coef_ = np.array(solution["coefficients"])
    model.intercept_ = solution["intercept"]
    return model


class Server:
    def __init__(self, artifact_path, features_path):
        with open(artifact_path) as f:
            body = json.load(f)["body"]
        design = body["design"]
        self.feature_names = design["feature_names"]
        self.imputation = packed(design["imputation"])
        self.indicators = design["indicator_features"]
        self.last_speed_mean = design["last_speed_mean"]
        self.last_flow_mean = design["last_flow_mean"]
        self.tables = {name: HistoricalAverage(t) for name, t in body["historical_average"].items()}
        self.solutions = {k: ridge(s) for k, s in body["solutions"].items()}
        self.fallback_solutions = {k: ridge(s) for k, s in (body.get("solutions_without_slot_average") or {}).items()}
        with open(features_path) as f:
            online = json.load(f)
        names = online["feature_names"]
        position = [names.index(n) if n in names else None for n in self.feature_names]
        self.last_speed_index = online["last_speed_index"]
        self.last_flow_index = online["last_flow_index"]
        self.vectors = {}
        for vector in online["vectors"]:
            values = vector["values"]
            aligned = np.array(
                [np.nan if p is None or values[p] is None else values[p] for p in position], dtype=float)
            self.vectors[vector["segment_id"]] = (vector["neighborhood"], vector["ts"], aligned, values)
        self.neighborhood_of = online["segments"]
        self.segments_of = {}
        for segment, neighborhood in self.neighborhood_of.items():
            self.segments_of.setdefault(neighborhood, []).append(segment)
        self.issue_time = max(v[1] for v in self.vectors.values())

    def row(self, aligned, raw, horizon, ha_issue):
        present = np.isfinite(aligned)
        features = np.where(present, aligned, self.imputation)
        indicators = np.array([0.0 if present[j] else 1.0 for j in self.indicators])
        speed = raw[self.last_speed_index] if self.last_speed_index is not None else None
        flow = raw[self.last_flow_index] if self.last_flow_index is not None else None
        target_time = self.issue_time + horizon * 60_000
        phase = 2 * math.pi * (((target_time % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS
        fixed = [
            speed if speed is not None else self.last_speed_mean, 0.0 if speed is not None else 1.0,
            flow if flow is not None else self.last_flow_mean, 0.0 if flow is not None else 1.0,
            ha_issue, math.sin(phase), math.cos(phase), math.sin(2 * phase), math.cos(2 * phase),
            1.0 if slot_of_week(target_time) >= 5 * 288 else 0.0,
        ]
        return np.concatenate([features, indicators, fixed])

    def predict(self, segments, horizons, targets):
        """Per target and horizon, rows grouped by the linear model that answers them."""
        values = {}
        for target in targets:
            table = self.tables[WIRE[target]]
            for horizon in horizons:
                target_time = self.issue_time + horizon * 60_000
                groups = {}
                for segment in segments:
                    neighborhood, _, aligned, raw = self.vectors[segment]
                    key = "%s|%d|%s" % (WIRE[target], horizon, neighborhood)
                    slot_mean = table.slot_mean(segment, target_time)
                    if slot_mean is not None and key in self.solutions:
                        model, base, ha_issue = self.solutions[key], slot_mean, table.value(segment, self.issue_time)
                    elif key in self.fallback_solutions:
                        fallback = table.fallback(segment)
                        model, base, ha_issue = self.fallback_solutions[key], fallback, fallback
                    elif key in self.solutions:
                        model = self.solutions[key]
                        base = slot_mean if slot_mean is not None else table.fallback(segment)
                        ha_issue = table.value(segment, self.issue_time)
                    else:
                        values[(segment, horizon, target)] = table.value(segment, target_time)
                        continue
                    groups.setdefault(id(model), (model, []))[1].append(
                        (segment, base, self.row(aligned, raw, horizon, ha_issue)))
                for model, rows in groups.values():
                    predicted = model.predict(np.vstack([r[2] for r in rows]))
                    for (segment, base, _), deviation in zip(rows, predicted):
                        values[(segment, horizon, target)] = base + float(deviation)
        return values


class ForecastRequest(BaseModel):
    segments: list[str] | None = None
    neighborhood: str | None = None
    horizons: list[int] | None = None
    targets: list[str] | None = None
    request_id: str | None = None


server = Server(os.environ["CABLECAR_PEER_ARTIFACT"], os.environ["CABLECAR_PEER_FEATURES"])
app = FastAPI()


@app.post("/v1/forecasts")
def forecasts(request: ForecastRequest):
    if (request.segments is None) == (request.neighborhood is None):
        raise HTTPException(400, "give either 'segments' or 'neighborhood'")
    if request.segments is not None:
        if not request.segments or len(request.segments) > MAX_SEGMENTS:
            raise HTTPException(400, "1 to %d segments" % MAX_SEGMENTS)
        segments = list(dict.fromkeys(request.segments))
        unknown = [s for s in segments if s not in server.neighborhood_of]
        if unknown:
            raise HTTPException(400, "unknown segment '%s'" % unknown[0][:100])
    else:
        segments = server.segments_of.get(request.neighborhood)
        if segments is None:
            raise HTTPException(400, "unknown neighborhood")
    horizons = request.horizons or HORIZONS
    if any(h not in HORIZONS for h in horizons):
        raise HTTPException(400, "unknown horizon")
    try:
        targets = list(dict.fromkeys(TARGETS[t] for t in (request.targets or ["speed", "flow"])))
    except KeyError:
        raise HTTPException(400, "unknown target")
    values = server.predict(segments, horizons, targets)
    items = []
    for segment in segments:
        neighborhood, step, _, _ = server.vectors[segment]
        for horizon in horizons:
            items.append({
                "segment_id": segment, "neighborhood": neighborhood, "horizon_min": horizon,
                "issue_time": server.issue_time, "target_time": server.issue_time + horizon * 60_000,
                "feature_step": step,
                "speed_kmh": values.get((segment, horizon, "speed")),
                "flow_veh_h": values.get((segment, horizon, "flow")),
                "model_name": "peer", "model_version": 1, "role": "production", "fallback": False,
                "fallback_reason": None,
            })
    return {
        "request_id": request.request_id or str(uuid.uuid4()), "issue_time": server.issue_time,
        "feature_step": server.issue_time, "forecasts": items,
    }


if __name__ == "__main__":
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8094)
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args()
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    uvicorn.run(
        "forecast_peer:app", host="127.0.0.1", port=arguments.port, workers=arguments.workers,
        log_level="warning", access_log=False)
