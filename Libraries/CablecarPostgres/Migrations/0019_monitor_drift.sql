-- owner: monitor
-- Drift of served features and predictions against each model version's training-time
-- reference profile (docs/monitor.md, Drift).

-- The feature values the model was given, one row per segment and request (the prediction log's
-- `features`), kept as long as the pairs (CABLECAR_MONITOR_RETENTION_DAYS).
CREATE TABLE monitor_served_features (
    request_id text NOT NULL,
    segment_id text NOT NULL,
    model_name text NOT NULL,
    model_version integer NOT NULL,
    neighborhood text NOT NULL,
    event_time bigint NOT NULL,
    feature_names text[] NOT NULL,
    feature_values float8[] NOT NULL,
    PRIMARY KEY (request_id, segment_id, model_name, model_version)
);

CREATE INDEX monitor_served_features_time ON monitor_served_features (event_time);

-- One row per evaluated window, neighborhood, model version and compared column: the served
-- window [window_end - window_hours, window_end) by issue time against the reference.
CREATE TABLE monitor_drift (
    window_end bigint NOT NULL,
    window_hours integer NOT NULL,
    neighborhood text NOT NULL,
    model_name text NOT NULL,
    model_version integer NOT NULL,
    kind text NOT NULL CHECK (kind IN ('feature', 'prediction')),
    name text NOT NULL,
    -- false for report-only columns (context features), which the alert rule does not judge
    alerting boolean NOT NULL,
    reference_n bigint NOT NULL,
    current_n bigint NOT NULL,
    reference_mean double precision,
    current_mean double precision,
    wasserstein_normed double precision NOT NULL,
    ks_statistic double precision NOT NULL,
    ks_p double precision NOT NULL,
    psi double precision NOT NULL,
    evidently_drifted boolean NOT NULL,
    PRIMARY KEY (window_end, neighborhood, model_name, model_version, name)
);

CREATE INDEX monitor_drift_neighborhood ON monitor_drift (neighborhood, window_end);
