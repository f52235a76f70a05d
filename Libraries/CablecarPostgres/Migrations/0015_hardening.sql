-- owner: trainer
-- Hardening (issue 17).
--
-- Trainer: messages on train.requests and monitor.alerts that can never become a stored request
-- (unreadable JSON, unsupported version, a request id or text Postgres refuses) are recorded here
-- with their reason and committed, so a poison message is kept for inspection and never retried.
CREATE TABLE trainer_rejected_messages (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    kafka_partition integer NOT NULL,
    kafka_offset bigint NOT NULL,
    reason text NOT NULL,
    payload bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (topic, kafka_partition, kafka_offset)
);

-- Registry search: filters and ordering are answered in SQL over these indexes.
CREATE INDEX IF NOT EXISTS registry_runs_experiment_start ON registry_runs (experiment_id, lifecycle_stage, start_time_ms DESC, id);
CREATE INDEX IF NOT EXISTS registry_run_tags_key_value ON registry_run_tags (key, value);
CREATE INDEX IF NOT EXISTS registry_run_params_key_value ON registry_run_params (key, value);
