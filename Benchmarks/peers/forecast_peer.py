"""A FastAPI + NumPy forecast server: the peer `cablecar-bench serving` measures
cablecar-forecast against.

It serves POST /v1/forecasts with the same request and response shape, from the very same
model artifact and the same online feature vectors, held in memory, and answers as
`RidgeForecastModel.predict` does (Libraries/CablecarForecasting):

* a (target, horizon, neighborhood) cell routed to a baseline (`baseline_routes`) answers with
  persistence or the historical average;
* otherwise the cell's ridge solution (or, where the target slot has no average, the solution
  fitted without it) predicts the deviation from the cell's anchor (historical average, recent
  level or day-type profile) over the design row `RidgeDesign.fill` builds;
* a target and horizon with deviation trees (`deviation_trees`) answers
  `w * (recent level + trees) + (1 - w) * ridge`, the trees reading the design row, the
  neighborhood's index and their layout's level columns minus the recent level.

A request is computed as one batch: the design rows of every (target, horizon, segment) it asks
for are built with array operations, every ridge solution is applied at once (the cells'
coefficients stacked, `X @ coef + intercept` row by row), and every tree of every tree model is
walked at once, one array step per tree level.

    CABLECAR_PEER_ARTIFACT=model.json CABLECAR_PEER_FEATURES=online.json \
        python forecast_peer.py --port 8094 --workers 2
"""

import argparse
import base64
import datetime
import json
import math
import os
import uuid
import zoneinfo

import numpy as np
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

WEEK_MS = 7 * 24 * 3600 * 1000
DAY_MS = 24 * 3600 * 1000
STEP_MS = 5 * 60 * 1000
SLOTS = 2016
PROFILE_CELLS = 2 * 288
HORIZONS = [15, 30, 60]
TARGETS = {"speed_kmh": "speed", "flow_veh_h": "flow", "speed": "speed", "flow": "flow"}
WIRE = {"speed": "speed_kmh", "flow": "flow_veh_h"}
MAX_SEGMENTS = 300
# RowProfiles: the middles of the recent level's and the last hour's windows, before the issue time.
RECENT_WINDOW_MIDDLE_MS = 2 * STEP_MS
HOUR_WINDOW_MIDDLE_MS = 6 * STEP_MS
# RidgeDesign's bounds on the profile-ratio columns.
RATIO_BOUNDS = (0.3, 2.0)
MAXIMUM_SLOWDOWN_RATIO = 2.0
MINIMUM_REFERENCE_SLOWDOWN = 1.0
ANCHORS = {"historical_average": 0, "last_observed": 1, "profile": 2}
BASELINES = {"persistence": 1, "historical_average": 2}


def packed(text):
    """PackedDoubles: base64 of little-endian IEEE-754 doubles."""
    return np.frombuffer(base64.b64decode(text), dtype="<f8").astype(float)


def slot_of_week(time):
    shifted = (time % WEEK_MS) + 3 * DAY_MS
    return ((shifted % WEEK_MS) + WEEK_MS) % WEEK_MS // STEP_MS


def profile_cell(slot):
    return (288 if slot >= 5 * 288 else 0) + slot % 288


class LocalClock:
    """The city's wall clock a table's slots are in (UTC for tables without a zone)."""

    def __init__(self, identifier):
        self.zone = None if identifier in (None, "UTC") else zoneinfo.ZoneInfo(identifier)

    def local(self, time):
        if self.zone is None:
            return time
        offset = datetime.datetime.fromtimestamp(time / 1000, self.zone).utcoffset()
        return time + int(offset.total_seconds()) * 1000

    def slot_of_week(self, time):
        return slot_of_week(self.local(time))


class HistoricalAverage:
    """One target's table, indexed by segment; row `len(segments)` stands for an unknown segment
    (no slot means, no profiles, the overall mean)."""

    def __init__(self, table):
        count = len(table["segments"])
        self.clock = LocalClock(table.get("time_zone"))
        self.slot_means = np.vstack([packed(table["slot_means"]).reshape(count, SLOTS), np.full((1, SLOTS), np.nan)])
        segment_means = packed(table["segment_means"])
        self.fallback = np.append(np.where(np.isnan(segment_means), table["overall_mean"], segment_means), table["overall_mean"])
        self.profiles = self._profiles(table.get("profile_means"), count)
        self.neighborhood_profiles = self._profiles(table.get("neighborhood_profile_means"), count)
        # The free-flow speed of a segment: its highest profile mean (`profileMaxima`).
        observed = ~np.isnan(self.profiles)
        self.maxima = np.where(observed.any(axis=1), np.where(observed, self.profiles, -np.inf).max(axis=1), np.nan)

    @staticmethod
    def _profiles(text, count):
        if text is None:
            return np.full((count + 1, PROFILE_CELLS), np.nan)
        return np.vstack([packed(text).reshape(count, PROFILE_CELLS), np.full((1, PROFILE_CELLS), np.nan)])

    def value(self, segments, slot):
        """The slot's mean where observed, else the segment's (or the overall) mean."""
        mean = self.slot_means[segments, slot]
        return np.where(np.isnan(mean), self.fallback[segments], mean)


class DesignRows:
    """`RidgeDesign`: which columns a row has and where its inputs come from."""

    def __init__(self, design):
        names = design["feature_names"]
        self.features = len(names)
        self.imputation = packed(design["imputation"])
        self.used = np.ones(self.features, dtype=bool)
        self.used[design.get("unused_features") or []] = False
        self.indicators = np.array(design["indicator_features"], dtype=np.intp)
        self.last_speed_mean = design["last_speed_mean"]
        self.last_flow_mean = design["last_flow_mean"]
        self.anchor_columns = design.get("target_average_column") is True
        self.profile_column = design.get("profile_column") is True
        self.neighborhood_profile_horizons = design.get("neighborhood_profile_horizons")
        self.recent_level_features = design.get("recent_level_features") or {}
        self.hour_mean_features = design.get("hour_mean_features")
        self.speed_slowdown_below = design.get("speed_slowdown_below_horizon")
        self.columns = (
            self.features + len(self.indicators) + 10 + (2 if self.anchor_columns else 0) + (1 if self.profile_column else 0)
            + (1 if self.neighborhood_profile_horizons is not None else 0) + (2 if self.hour_mean_features is not None else 0))

    def reads_neighborhood_profile(self, target, horizon):
        first = (self.neighborhood_profile_horizons or {}).get(target)
        return first is not None and horizon >= first

    def reads_slowdown(self, target, horizon):
        return target == "speed_kmh" and self.speed_slowdown_below is not None and horizon < self.speed_slowdown_below


def scaled_deviation(value, reference, profile):
    """`(value / reference - 1) * profile`, the ratio clamped; 0 without a value or a positive reference."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.minimum(RATIO_BOUNDS[1], np.maximum(RATIO_BOUNDS[0], value / reference))
        scaled = (ratio - 1) * profile
    present = np.isfinite(value) & np.isfinite(reference) & (reference > 0)
    return np.where(present, scaled, 0.0)


def scaled_slowdown(value, reference, profile, free_flow):
    """`(ratio - 1) * (free flow - profile)`, the ratio of the slowdowns now and in the profile; 0
    without a value, a free-flow speed or a reference slowdown, and beyond the maximum ratio."""
    with np.errstate(invalid="ignore", divide="ignore"):
        reference_slowdown = free_flow - reference
        ratio = (free_flow - value) / reference_slowdown
        scaled = (np.maximum(0.0, ratio) - 1) * np.maximum(0.0, free_flow - profile)
        present = (
            np.isfinite(value) & np.isfinite(reference) & np.isfinite(free_flow)
            & (reference_slowdown >= MINIMUM_REFERENCE_SLOWDOWN) & (ratio <= MAXIMUM_SLOWDOWN_RATIO))
    return np.where(present, scaled, 0.0)


def ordered_sum(terms):
    """Per row, the sum of its terms from the first to the last, as Cablecar adds them (NumPy's
    `sum` adds pairwise, which rounds differently)."""
    return np.cumsum(terms, axis=1)[:, -1] if terms.shape[1] else np.zeros(len(terms))


class TreeForest:
    """Every `DeviationTrees` model of the artifact as flat node arrays, walked together: a row
    of model m starts at its model's roots (padded to the same number of trees with a leaf of 0)
    and moves one level per step; a leaf is its own child. A node sends a value at or below its
    threshold left, a missing (non-finite) value where `missingLeft` says."""

    def __init__(self, models):
        feature, threshold, missing_left, children, value = [0], [0.0], [True], [0, 0], [0.0]
        roots, self.bases, self.depth = [], [], 0
        for model in models:
            model_roots = []
            for tree in model["trees"]:
                offset = len(feature)
                model_roots.append(offset)
                for i, f in enumerate(tree["feature"]):
                    leaf = f < 0
                    feature.append(0 if leaf else f)
                    threshold.append(0.0 if leaf else tree["threshold"][i])
                    missing_left.append(tree["missingLeft"][i])
                    children += [offset + i, offset + i] if leaf else [offset + tree["left"][i], offset + tree["right"][i]]
                    value.append(tree["value"][i])
                self.depth = max(self.depth, self._depth(tree, 0))
            roots.append(model_roots)
            self.bases.append(model["base"])
        width = max((len(r) for r in roots), default=0)
        self.roots = np.array([r + [0] * (width - len(r)) for r in roots], dtype=np.intp).reshape(len(roots), width)
        self.bases = np.array(self.bases, dtype=float)
        self.feature = np.array(feature, dtype=np.intp)
        self.threshold = np.array(threshold, dtype=float)
        self.missing_right = ~np.array(missing_left, dtype=bool)
        self.children = np.array(children, dtype=np.intp)
        self.value = np.array(value, dtype=float)

    @classmethod
    def _depth(cls, tree, node):
        if tree["feature"][node] < 0:
            return 0
        return 1 + max(cls._depth(tree, tree["left"][node]), cls._depth(tree, tree["right"][node]))

    def predict(self, x, models):
        """The sum of model `models[i]`'s trees (and its base) on row `x[i]`."""
        node = self.roots[models]
        x = np.ascontiguousarray(x)
        start = (np.arange(len(x)) * x.shape[1])[:, None]
        values = x.ravel()
        missing = not np.isfinite(values).all()
        for _ in range(self.depth):
            v = values.take(start + self.feature.take(node))
            right = v > self.threshold.take(node)
            if missing:
                right = np.where(np.isfinite(v), right, self.missing_right.take(node))
            node = self.children.take(2 * node + right)
        return ordered_sum(np.hstack([self.bases[models][:, None], self.value.take(node)]))


class Server:
    def __init__(self, artifact_path, features_path):
        with open(artifact_path) as f:
            envelope = json.load(f)
        if envelope.get("format") != "cablecar-model" or envelope.get("kind") != "ridge" or envelope.get("version") != 1:
            raise ValueError("not a version 1 ridge artifact")
        body = envelope["body"]
        self.design = DesignRows(body["design"])
        self.tables = {name: HistoricalAverage(t) for name, t in body["historical_average"].items()}
        segments = body["historical_average"][next(iter(body["historical_average"]))]["segments"]
        self.segment_index = {segment: i for i, segment in enumerate(segments)}
        self.unknown_segment = len(segments)
        self.free_flow = self.tables["speed_kmh"].maxima if "speed_kmh" in self.tables else np.full(len(segments) + 1, np.nan)

        with open(features_path) as f:
            online = json.load(f)
        self.neighborhood_of = online["segments"]
        self.segments_of = {}
        for segment, neighborhood in self.neighborhood_of.items():
            self.segments_of.setdefault(neighborhood, []).append(segment)
        neighborhoods = sorted(set(self.neighborhood_of.values()) | {v["neighborhood"] for v in online["vectors"]})
        self.neighborhood_index = {n: i for i, n in enumerate(neighborhoods)}
        unknown_neighborhood = len(neighborhoods)

        # Per (target, horizon, neighborhood): the row of its solution and of its fallback solution
        # in the stacked coefficients (-1: none), and the baseline it is routed to (0: none).
        horizons = {h: i for i, h in enumerate(HORIZONS)}
        shape = (len(WIRE), len(HORIZONS), unknown_neighborhood + 1)
        self.solution_row = np.full(shape, -1, dtype=np.intp)
        self.fallback_row = np.full(shape, -1, dtype=np.intp)
        self.route = np.zeros(shape, dtype=np.int8)
        self.target_index = {wire: i for i, wire in enumerate(WIRE.values())}
        default_anchor = ANCHORS[body.get("anchor") or "historical_average"]
        coefficients, intercepts, anchors = [], [], []

        def cell(key):
            target, horizon, neighborhood = key.split("|", 2)
            if target not in self.target_index or int(horizon) not in horizons or neighborhood not in self.neighborhood_index:
                return None
            return self.target_index[target], horizons[int(horizon)], self.neighborhood_index[neighborhood]

        for solutions_key, selections_key, rows in [
            ("solutions", "selections", self.solution_row),
            ("solutions_without_slot_average", "selections_without_slot_average", self.fallback_row),
        ]:
            selections = body.get(selections_key) or {}
            for key, solution in (body.get(solutions_key) or {}).items():
                if len(solution["coefficients"]) != self.design.columns:
                    raise ValueError("solution %s has %d coefficients for %d design columns" % (
                        key, len(solution["coefficients"]), self.design.columns))
                index = cell(key)
                if index is None:
                    continue
                rows[index] = len(intercepts)
                coefficients.append(solution["coefficients"])
                intercepts.append(solution["intercept"])
                anchor = (selections.get(key) or {}).get("anchor")
                anchors.append(ANCHORS[anchor] if anchor else default_anchor)
        self.coefficients = np.array(coefficients, dtype=float).reshape(len(intercepts), self.design.columns)
        self.intercepts = np.array(intercepts, dtype=float)
        self.anchors = np.array(anchors, dtype=np.int8)
        for route in body.get("baseline_routes") or []:
            index = cell("%s|%d|%s" % (route["target"], route["horizon"], route["neighborhood"]))
            if index is not None and self.route[index] == 0:
                self.route[index] = BASELINES[route["baseline"]]

        # Per target and horizon, its tree model (-1: none), the model's share and, per
        # neighborhood, the index column the trees read (NaN: a neighborhood they never saw).
        tree_models = body.get("deviation_trees") or {}
        self.tree_model = np.full((len(WIRE), len(HORIZONS)), -1, dtype=np.intp)
        self.tree_weight = np.ones(len(tree_models))
        self.tree_neighborhood = np.full((len(tree_models), unknown_neighborhood + 1), np.nan)
        # Per tree model, the design columns it also reads as differences from the recent level
        # (`TreeInputLayout`), after the neighborhood's column, and that recent level's column.
        self.tree_levels, self.tree_recent = [], []
        for m, (key, trees) in enumerate(tree_models.items()):
            target, horizon = key.split("|")
            layout = trees.get("layout") or {"level_columns": [], "recent_column": 0}
            self.tree_levels.append(np.array(layout["level_columns"], dtype=np.intp))
            self.tree_recent.append(layout["recent_column"])
            if trees["trees"]["featureCount"] != self.design.columns + 1 + len(layout["level_columns"]):
                raise ValueError("deviation trees %s read %d columns" % (key, trees["trees"]["featureCount"]))
            self.tree_model[self.target_index[target], horizons[int(horizon)]] = m
            weight = trees["evidence"].get("weight")
            self.tree_weight[m] = 1.0 if weight is None else weight
            for position, neighborhood in reversed(list(enumerate(trees["neighborhoods"]))):
                if neighborhood in self.neighborhood_index:
                    self.tree_neighborhood[m, self.neighborhood_index[neighborhood]] = position
        self.forest = TreeForest([t["trees"] for t in tree_models.values()])

        # The online vectors, aligned with the model's features (NaN: missing).
        model_names = body["design"]["feature_names"]
        names = online["feature_names"]
        position = [names.index(n) if n in names else None for n in model_names]
        vectors = {}
        for vector in online["vectors"]:
            old = vectors.get(vector["segment_id"])
            if old is None or vector["ts"] > old["ts"]:
                vectors[vector["segment_id"]] = vector
        self.row_of = {}
        self.step_of = {}
        self.vector_neighborhood = {}
        features, last_speed, last_flow, segment_rows, neighborhood_rows = [], [], [], [], []

        def raw(values, index):
            value = values[index] if index is not None and index < len(values) else None
            return np.nan if value is None else float(value)

        for segment, vector in vectors.items():
            values = vector["values"]
            if len(values) != len(names):
                continue  # answered with the historical average, as features missing
            self.row_of[segment] = len(features)
            self.step_of[segment] = vector["ts"]
            self.vector_neighborhood[segment] = vector["neighborhood"]
            features.append([np.nan if p is None or values[p] is None else values[p] for p in position])
            last_speed.append(raw(values, online["last_speed_index"]))
            last_flow.append(raw(values, online["last_flow_index"]))
            segment_rows.append(self.segment_index.get(segment, self.unknown_segment))
            neighborhood_rows.append(self.neighborhood_index.get(vector["neighborhood"], unknown_neighborhood))
        self.features = np.array(features, dtype=float).reshape(len(features), len(model_names))
        self.last_observed = {"speed_kmh": np.array(last_speed), "flow_veh_h": np.array(last_flow)}
        self.vector_segment = np.array(segment_rows, dtype=np.intp)
        self.vector_neighborhood_index = np.array(neighborhood_rows, dtype=np.intp)
        self.issue_time = max(v["ts"] for v in vectors.values())

    def _fixed_columns(self, rows):
        """Per segment, the columns every target and horizon share: features (imputed), missing
        indicators, the last speed and flow with their missing flags."""
        d = self.design
        f = self.features[rows]
        present = np.isfinite(f)
        out = np.empty((len(rows), d.features + len(d.indicators) + 4))
        out[:, :d.features] = np.where(present & d.used, f, d.imputation)
        out[:, d.features:d.features + len(d.indicators)] = ~present[:, d.indicators]
        column = d.features + len(d.indicators)
        for target, mean in [("speed_kmh", d.last_speed_mean), ("flow_veh_h", d.last_flow_mean)]:
            last = self.last_observed[target][rows]
            observed = np.isfinite(last)
            out[:, column] = np.where(observed, last, mean)
            out[:, column + 1] = ~observed
            column += 2
        return out

    def _feature(self, rows, index):
        if index is None:
            return np.full(len(rows), np.nan)
        value = self.features[rows, index]
        return np.where(np.isfinite(value), value, np.nan)

    def predict(self, segments, horizons, targets):
        """Per wire target, an array (horizons x segments) of forecasts; NaN where the segment has no
        usable features (the caller answers with the historical average there)."""
        d = self.design
        known = [s for s in segments if s in self.row_of]
        rows = np.array([self.row_of[s] for s in known], dtype=np.intp)
        n = len(rows)
        seg = self.vector_segment[rows]
        nb = self.vector_neighborhood_index[rows]
        fixed = self._fixed_columns(rows)
        width = fixed.shape[1]
        combos = [(target, horizon) for target in targets for horizon in horizons]
        levels = max((len(columns) for columns in self.tree_levels), default=0)
        x = np.empty((len(combos) * n, d.columns + 1 + levels))
        solution, base, recent, answer = (np.empty(len(combos) * n, dtype=t) for t in (np.intp, float, float, float))
        regress = np.zeros(len(combos) * n, dtype=bool)
        tree_model = np.full(len(combos) * n, -1, dtype=np.intp)
        baseline = {}
        issue = self.issue_time
        for c, (target, horizon) in enumerate(combos):
            block = slice(c * n, (c + 1) * n)
            t, h = self.target_index[target], HORIZONS.index(horizon)
            table = self.tables[target]
            clock = table.clock
            target_time = issue + horizon * 60_000
            target_slot = clock.slot_of_week(target_time)
            slot_average = table.slot_means[seg, target_slot]
            average_then = np.where(np.isnan(slot_average), table.fallback[seg], slot_average)
            baseline[(target, horizon)] = average_then
            last = self.last_observed[target][rows]

            # Which solution answers (the trainer's regime for the row), else a baseline.
            own, fallback, route = self.solution_row[t, h, nb], self.fallback_row[t, h, nb], self.route[t, h, nb]
            with_slot = (own >= 0) & (~np.isnan(slot_average) | (fallback < 0))
            fitted = (with_slot | (fallback >= 0)) & (route == 0)
            regress[block] = fitted
            answer[block] = np.where((route == BASELINES["persistence"]) & np.isfinite(last), last, average_then)
            solution[block] = np.where(fitted, np.where(with_slot, own, fallback), 0)
            segment_fallback = table.fallback[seg]
            ha_target = np.where(with_slot, average_then, segment_fallback)
            ha_issue = np.where(with_slot, table.value(seg, clock.slot_of_week(issue)), segment_fallback)

            # The anchors: the recent level (the 15-minute mean, else the last value) and the profile.
            level = self._feature(rows, d.recent_level_features.get(target))
            level = np.where(np.isfinite(level), level, np.where(np.isfinite(last), last, np.nan))
            recent[block] = np.where(np.isfinite(level), level, ha_target)
            own_profile = table.profiles[seg, profile_cell(target_slot)]
            profile = np.where(np.isnan(own_profile), ha_target, own_profile)
            base[block] = np.choose(self.anchors[solution[block]] if len(self.anchors) else 0, [ha_target, recent[block], profile])

            # The design row (`RidgeDesign.fill`).
            row = x[block]
            row[:, :width] = fixed
            local = clock.local(target_time)
            phase = 2 * math.pi * (((local % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS
            row[:, width] = ha_issue
            row[:, width + 1:width + 6] = [
                math.sin(phase), math.cos(phase), math.sin(2 * phase), math.cos(2 * phase),
                1.0 if slot_of_week(local) >= 5 * 288 else 0.0]
            column = width + 6
            if d.anchor_columns:
                row[:, column] = ha_target
                row[:, column + 1] = recent[block]
                column += 2
            if d.profile_column:
                row[:, column] = profile
                column += 1
            if d.neighborhood_profile_horizons is not None:
                if d.reads_neighborhood_profile(target, horizon):
                    shared = table.neighborhood_profiles[seg, profile_cell(target_slot)]
                    row[:, column] = np.where(np.isnan(shared), profile, shared)
                else:
                    row[:, column] = 0.0
                column += 1
            if d.hour_mean_features is not None:
                hour_mean = self._feature(rows, d.hour_mean_features.get(target))
                recent_window = table.profiles[seg, profile_cell(clock.slot_of_week(issue - RECENT_WINDOW_MIDDLE_MS))]
                hour_window = table.profiles[seg, profile_cell(clock.slot_of_week(issue - HOUR_WINDOW_MIDDLE_MS))]
                if d.reads_slowdown(target, horizon):
                    free_flow = self.free_flow[seg]
                    row[:, column] = scaled_slowdown(level, recent_window, profile, free_flow)
                    row[:, column + 1] = scaled_slowdown(hour_mean, hour_window, profile, free_flow)
                else:
                    row[:, column] = scaled_deviation(level, recent_window, profile)
                    row[:, column + 1] = scaled_deviation(hour_mean, hour_window, profile)
            m = self.tree_model[t, h]
            if m >= 0:
                row[:, d.columns] = self.tree_neighborhood[m, nb]
                differences = self.tree_levels[m]
                if len(differences):
                    row[:, d.columns + 1:d.columns + 1 + len(differences)] = (
                        row[:, differences] - row[:, self.tree_recent[m]][:, None])
                tree_model[block] = np.where(fitted, m, -1)

        # Every ridge solution at once: the anchor plus the solution's intercept and dot product.
        if regress.any():
            chosen = np.flatnonzero(regress)
            k = solution[chosen]
            terms = np.empty((len(chosen), d.columns + 1))
            terms[:, 0] = self.intercepts[k]
            np.multiply(x[chosen, :d.columns], self.coefficients[k], out=terms[:, 1:])
            deviation = ordered_sum(terms)
            answer[chosen] = base[chosen] + deviation
        # Every tree model at once, mixed with the ridge by its share.
        grown = np.flatnonzero(tree_model >= 0)
        if len(grown):
            m = tree_model[grown]
            from_trees = recent[grown] + self.forest.predict(x[grown], m)
            w = self.tree_weight[m]
            answer[grown] = np.where(w < 1, w * from_trees + (1 - w) * answer[grown], from_trees)

        # A (segment, horizon) the model fails on (a value not finite) is answered with the
        # historical average for every target, as the forecaster does.
        values = {target: np.full((len(horizons), len(segments)), np.nan) for target in targets}
        columns = np.array([i for i, s in enumerate(segments) if s in self.row_of], dtype=np.intp)
        blocks = {}
        for c, combo in enumerate(combos):
            blocks[combo] = answer[c * n:(c + 1) * n]
        for h, horizon in enumerate(horizons):
            failed = np.zeros(n, dtype=bool)
            for target in targets:
                failed |= ~np.isfinite(blocks[(target, horizon)])
            for target in targets:
                values[target][h, columns] = np.where(failed, baseline[(target, horizon)], blocks[(target, horizon)])
        return values

    def averages(self, segments, horizons, target):
        """The historical average at every target time (the fallback answer)."""
        table = self.tables[target]
        seg = np.array([self.segment_index.get(s, self.unknown_segment) for s in segments], dtype=np.intp)
        return np.array([
            table.value(seg, table.clock.slot_of_week(self.issue_time + horizon * 60_000)) for horizon in horizons])


class ForecastRequest(BaseModel):
    segments: list[str] | None = None
    neighborhood: str | None = None
    horizons: list[int] | None = None
    targets: list[str] | None = None
    request_id: str | None = None


server = Server(os.environ["CABLECAR_PEER_ARTIFACT"], os.environ["CABLECAR_PEER_FEATURES"])
app = FastAPI()


def finite_or_none(value):
    return value if math.isfinite(value) else None


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
    horizons = list(dict.fromkeys(request.horizons or HORIZONS))
    if any(h not in HORIZONS for h in horizons):
        raise HTTPException(400, "unknown horizon")
    try:
        targets = list(dict.fromkeys(WIRE[TARGETS[t]] for t in (request.targets or ["speed", "flow"])))
    except KeyError:
        raise HTTPException(400, "unknown target")
    values = server.predict(segments, horizons, targets)
    # Segments without features are answered with the historical average, as fallbacks.
    missing = [i for i, s in enumerate(segments) if s not in server.row_of]
    if missing:
        for target in targets:
            values[target][:, missing] = server.averages([segments[i] for i in missing], horizons, target)
    speed = values["speed_kmh"].tolist() if "speed_kmh" in values else None
    flow = values["flow_veh_h"].tolist() if "flow_veh_h" in values else None
    issue = server.issue_time
    items = []
    for i, segment in enumerate(segments):
        has_features = segment in server.row_of
        neighborhood = server.vector_neighborhood.get(segment) or server.neighborhood_of.get(segment, "")
        for h, horizon in enumerate(horizons):
            items.append({
                "segment_id": segment, "neighborhood": neighborhood, "horizon_min": horizon,
                "issue_time": issue, "target_time": issue + horizon * 60_000,
                "feature_step": server.step_of.get(segment),
                "speed_kmh": None if speed is None else finite_or_none(speed[h][i]),
                "flow_veh_h": None if flow is None else finite_or_none(flow[h][i]),
                "model_name": "peer", "model_version": 1, "role": "production" if has_features else "fallback",
                "fallback": not has_features, "fallback_reason": None if has_features else "features_missing",
            })
    return {"request_id": request.request_id or str(uuid.uuid4()), "issue_time": issue, "feature_step": issue, "forecasts": items}


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
