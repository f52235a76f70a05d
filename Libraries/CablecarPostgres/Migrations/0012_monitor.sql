-- owner: monitor
-- cablecar-monitor (issue 14): joined prediction/actual pairs, window accuracy, alerts.
-- Times are event times in epoch milliseconds. docs/monitor.md explains every table.

-- One row per logged prediction; the actual columns fill in when the actual of the target
-- interval arrives and are overwritten by every newer revision (a correction re-scores).
-- The key is the prediction's identity, so a redelivered prediction is stored once.
CREATE TABLE monitor_pairs (
    segment_id text NOT NULL,
    target_time bigint NOT NULL,
    horizon_min integer NOT NULL,
    role text NOT NULL,
    model_name text NOT NULL,
    model_version integer NOT NULL,
    request_id text NOT NULL,
    neighborhood text NOT NULL,
    event_time bigint NOT NULL,
    predicted_speed double precision,
    predicted_flow double precision,
    baseline_speed double precision,
    baseline_flow double precision,
    feature_step bigint,
    fallback_reason text,
    actual_speed double precision,
    actual_flow double precision,
    actual_revision integer,
    PRIMARY KEY (segment_id, target_time, horizon_min, role, model_name, model_version, request_id)
);

CREATE INDEX monitor_pairs_target ON monitor_pairs (target_time, neighborhood);

-- The newest revision of every observed interval within retention, so that a prediction
-- arriving after its actual joins at once.
CREATE TABLE monitor_actuals (
    segment_id text NOT NULL,
    event_time bigint NOT NULL,
    neighborhood text NOT NULL,
    revision integer NOT NULL,
    speed double precision,
    flow double precision NOT NULL,
    PRIMARY KEY (segment_id, event_time)
);

CREATE INDEX monitor_actuals_time ON monitor_actuals (event_time);

-- Accuracy per window (hour or day, by target time) x neighborhood x target x horizon x model
-- version x role, recomputed from the pairs whenever a pair of the window changes.
-- `paired_*`: |model error| - |baseline error| on pairs where both exist, for the alert rule.
CREATE TABLE monitor_window_metrics (
    window_kind text NOT NULL CHECK (window_kind IN ('hour', 'day')),
    window_start bigint NOT NULL,
    neighborhood text NOT NULL,
    target text NOT NULL,
    horizon_min integer NOT NULL,
    model_name text NOT NULL,
    model_version integer NOT NULL,
    role text NOT NULL,
    n bigint NOT NULL,
    mae double precision,
    rmse double precision,
    mape double precision,
    bias double precision,
    abs_error_sd double precision,
    baseline_n bigint NOT NULL,
    baseline_mae double precision,
    baseline_rmse double precision,
    baseline_mape double precision,
    baseline_bias double precision,
    paired_n bigint NOT NULL,
    paired_diff_mean double precision,
    paired_diff_sd double precision,
    fallback_n bigint NOT NULL DEFAULT 0,
    stale_n bigint NOT NULL DEFAULT 0,
    test_mae double precision,
    PRIMARY KEY (window_kind, window_start, neighborhood, target, horizon_min, model_name, model_version, role)
);

CREATE INDEX monitor_window_metrics_time ON monitor_window_metrics (window_kind, window_start);

-- Alerts with their lifecycle. `published` is the outbox flag: false until monitor.alerts
-- acknowledged the latest transition.
CREATE TABLE monitor_alerts (
    alert_id text PRIMARY KEY,
    state text NOT NULL CHECK (state IN ('open', 'resolved')),
    neighborhood text NOT NULL,
    metric text NOT NULL,
    model_name text NOT NULL,
    model_version integer NOT NULL,
    value double precision NOT NULL,
    threshold double precision NOT NULL,
    window_kind text NOT NULL,
    window_start bigint NOT NULL,
    window_end bigint NOT NULL,
    opened_at bigint NOT NULL,
    resolved_at bigint,
    summary text NOT NULL,
    published boolean NOT NULL DEFAULT false
);

CREATE INDEX monitor_alerts_open ON monitor_alerts (state, neighborhood);

-- The alert engine's state: one row per (model, neighborhood, metric) it has seen, and the
-- last window it evaluated, so a restart continues the hysteresis where it stopped.
CREATE TABLE monitor_alert_tracks (
    model_name text NOT NULL,
    neighborhood text NOT NULL,
    metric text NOT NULL,
    bad_streak integer NOT NULL,
    good_streak integer NOT NULL,
    open_alert_id text,
    PRIMARY KEY (model_name, neighborhood, metric)
);

CREATE TABLE monitor_progress (
    id integer PRIMARY KEY CHECK (id = 1),
    clock bigint,
    last_evaluated_window bigint
);

-- Test-period errors of each model version, copied once from the registry run's metrics
-- (`test.candidate.<target>.h<h>[.<neighborhood>].mae`); neighborhood '' is the city-wide figure.
CREATE TABLE monitor_test_errors (
    model_name text NOT NULL,
    model_version integer NOT NULL,
    neighborhood text NOT NULL,
    target text NOT NULL,
    horizon_min integer NOT NULL,
    mae double precision NOT NULL,
    PRIMARY KEY (model_name, model_version, neighborhood, target, horizon_min)
);

-- Versions whose test errors were looked up (also when the registry had none), so each
-- version is read from the registry once.
CREATE TABLE monitor_test_error_lookups (
    model_name text NOT NULL,
    model_version integer NOT NULL,
    found integer NOT NULL,
    PRIMARY KEY (model_name, model_version)
);

-- Messages that could not be used, with the reason: nothing is dropped silently.
CREATE TABLE monitor_rejected (
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    reason text NOT NULL,
    payload bytea NOT NULL,
    PRIMARY KEY (topic, partition, "offset")
);
