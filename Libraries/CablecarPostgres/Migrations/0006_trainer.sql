-- Trainer (cablecar-trainer): the queue of training requests. A request id is trained once
-- (idempotency under redelivery and repeated POSTs); a worker claims a request with a lease, so
-- several trainers share the queue and a crashed worker's request is picked up again.
-- Runs, metrics, artifacts and model versions live in the registry's tables (0005).

CREATE TABLE trainer_requests (
    request_id text PRIMARY KEY,
    request jsonb NOT NULL,
    source text NOT NULL CHECK (source IN ('http', 'topic', 'alert', 'cli')),
    status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    claimed_by text,
    lease_expires_at timestamptz,
    run_id text,
    model_name text,
    model_version integer,
    decision text,
    evaluation jsonb,
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

-- The claim query looks for the oldest queued (or lease-expired running) request.
CREATE INDEX trainer_requests_pending ON trainer_requests (created_at) WHERE status IN ('queued', 'running');
