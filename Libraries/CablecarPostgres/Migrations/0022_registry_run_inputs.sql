-- owner: registry
-- Datasets a run read (MLflow's runs/log-inputs): one row per dataset and run, in the order they
-- were logged. A dataset is named by its name and digest, as MLflow's stores dedupe it: logging
-- the same one to a run again stores nothing. Tags (mlflow.data.context: "training", ...) are
-- parallel key and value arrays.
CREATE TABLE registry_run_inputs (
    run_id text NOT NULL REFERENCES registry_runs (id) ON DELETE CASCADE,
    position bigserial,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
    digest text NOT NULL CHECK (length(digest) BETWEEN 1 AND 36),
    source_type text NOT NULL,
    source text NOT NULL,
    schema text,
    profile text,
    tag_keys text[] NOT NULL DEFAULT '{}',
    tag_values text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, name, digest)
);

CREATE INDEX registry_run_inputs_order ON registry_run_inputs (run_id, position);
