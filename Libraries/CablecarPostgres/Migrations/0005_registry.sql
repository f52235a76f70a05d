-- Experiment tracking and the model registry (CablecarRegistry).
-- Times of runs and metrics are epoch milliseconds (bigint), as the MLflow API carries them;
-- bookkeeping times are timestamptz.

CREATE TABLE registry_experiments (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 500),
    artifact_location text NOT NULL DEFAULT '',
    lifecycle_stage text NOT NULL DEFAULT 'active' CHECK (lifecycle_stage IN ('active', 'deleted')),
    created_at_ms bigint NOT NULL,
    updated_at_ms bigint NOT NULL
);

-- MLflow clients log to experiment "0" ("Default") when none is chosen; MLflow servers create it.
INSERT INTO registry_experiments (id, name, artifact_location, created_at_ms, updated_at_ms)
VALUES (0, 'Default', 'mlflow-artifacts:/0', (extract(epoch FROM now()) * 1000)::bigint, (extract(epoch FROM now()) * 1000)::bigint);

CREATE TABLE registry_experiment_tags (
    experiment_id bigint NOT NULL REFERENCES registry_experiments (id) ON DELETE CASCADE,
    key text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (experiment_id, key)
);

CREATE TABLE registry_runs (
    id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{32}$'),
    experiment_id bigint NOT NULL REFERENCES registry_experiments (id),
    name text NOT NULL DEFAULT '',
    status text NOT NULL CHECK (status IN ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED')),
    failure_reason text,
    start_time_ms bigint NOT NULL,
    end_time_ms bigint,
    lifecycle_stage text NOT NULL DEFAULT 'active' CHECK (lifecycle_stage IN ('active', 'deleted')),
    user_id text NOT NULL DEFAULT '',
    dataset_fingerprint text,
    code_version text,
    host text NOT NULL DEFAULT ''
);

CREATE INDEX registry_runs_experiment ON registry_runs (experiment_id, start_time_ms DESC);

-- MLflow semantics: a parameter is logged once; logging it again with another value is refused.
CREATE TABLE registry_run_params (
    run_id text NOT NULL REFERENCES registry_runs (id) ON DELETE CASCADE,
    key text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (run_id, key)
);

-- Every logged point is kept: the history of a metric is its rows ordered by step and time.
CREATE TABLE registry_run_metrics (
    id bigserial PRIMARY KEY,
    run_id text NOT NULL REFERENCES registry_runs (id) ON DELETE CASCADE,
    key text NOT NULL,
    value double precision NOT NULL,
    timestamp_ms bigint NOT NULL,
    step bigint NOT NULL DEFAULT 0
);

CREATE INDEX registry_run_metrics_history ON registry_run_metrics (run_id, key, step, timestamp_ms);

CREATE TABLE registry_run_tags (
    run_id text NOT NULL REFERENCES registry_runs (id) ON DELETE CASCADE,
    key text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (run_id, key)
);

CREATE TABLE registry_run_feature_versions (
    run_id text NOT NULL REFERENCES registry_runs (id) ON DELETE CASCADE,
    feature text NOT NULL,
    version integer NOT NULL,
    PRIMARY KEY (run_id, feature)
);

CREATE TABLE registry_artifacts (
    run_id text NOT NULL REFERENCES registry_runs (id) ON DELETE CASCADE,
    path text NOT NULL CHECK (length(path) BETWEEN 1 AND 1000),
    content bytea NOT NULL,
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, path)
);

CREATE TABLE registry_models (
    name text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 256),
    description text NOT NULL DEFAULT '',
    created_at_ms bigint NOT NULL,
    updated_at_ms bigint NOT NULL
);

CREATE TABLE registry_model_tags (
    model_name text NOT NULL REFERENCES registry_models (name) ON DELETE CASCADE,
    key text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (model_name, key)
);

CREATE TABLE registry_model_versions (
    model_name text NOT NULL REFERENCES registry_models (name) ON DELETE CASCADE,
    version integer NOT NULL CHECK (version >= 1),
    run_id text REFERENCES registry_runs (id),
    source text NOT NULL DEFAULT '',
    artifact_path text NOT NULL DEFAULT '',
    artifact_sha256 text,
    description text NOT NULL DEFAULT '',
    stage text NOT NULL DEFAULT 'candidate' CHECK (stage IN ('candidate', 'staging', 'production', 'archived')),
    created_by text NOT NULL DEFAULT '',
    created_at_ms bigint NOT NULL,
    updated_at_ms bigint NOT NULL,
    PRIMARY KEY (model_name, version)
);

-- At most one production version per model: a promotion archives the previous one in the
-- same transaction, and the database refuses anything else.
CREATE UNIQUE INDEX registry_one_production ON registry_model_versions (model_name) WHERE stage = 'production';

CREATE TABLE registry_model_version_tags (
    model_name text NOT NULL,
    version integer NOT NULL,
    key text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (model_name, version, key),
    FOREIGN KEY (model_name, version) REFERENCES registry_model_versions (model_name, version) ON DELETE CASCADE
);

CREATE TABLE registry_model_aliases (
    model_name text NOT NULL,
    alias text NOT NULL CHECK (length(alias) BETWEEN 1 AND 256),
    version integer NOT NULL,
    PRIMARY KEY (model_name, alias),
    FOREIGN KEY (model_name, version) REFERENCES registry_model_versions (model_name, version) ON DELETE CASCADE
);

-- Every stage change (registration included: from NULL to candidate), who made it and why.
CREATE TABLE registry_model_transitions (
    id bigserial PRIMARY KEY,
    model_name text NOT NULL,
    version integer NOT NULL,
    from_stage text,
    to_stage text NOT NULL,
    actor text NOT NULL,
    reason text NOT NULL DEFAULT '',
    occurred_at_ms bigint NOT NULL,
    FOREIGN KEY (model_name, version) REFERENCES registry_model_versions (model_name, version) ON DELETE CASCADE
);

CREATE INDEX registry_model_transitions_version ON registry_model_transitions (model_name, version, id);

-- Transactional outbox for model.events: rows are written in the transaction that changes
-- the registry and deleted once the broker acknowledged them, so no committed change loses
-- its event and no rolled-back change emits one.
CREATE TABLE registry_event_outbox (
    id bigserial PRIMARY KEY,
    model_name text NOT NULL,
    payload bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
