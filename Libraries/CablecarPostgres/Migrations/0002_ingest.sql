-- Ingest (cablecar-ingest): the ledger that makes accounting exactly-once under at-least-once
-- delivery, idempotency keys for duplicate detection, aggregation state that survives restarts,
-- an outbox for emitted observations, and data quality per sensor. See docs/ingest.md.

-- One row per raw message ever processed, keyed by where it sits in Kafka: a redelivered
-- message finds its row and is not counted again.
CREATE TABLE ingest_ledger (
    topic text NOT NULL,
    kafka_partition integer NOT NULL,
    kafka_offset bigint NOT NULL,
    feed text NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'duplicate')),
    reason text,
    neighborhood text,
    event_time bigint,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, kafka_partition, kafka_offset)
);

-- No secondary index: reports scan and group the whole ledger anyway, and every index costs
-- each of the hundreds of thousands of inserts a day.

-- Idempotency keys of accepted records (sensor + event time, vehicle + event time, ...).
CREATE TABLE ingest_dedup (
    feed text NOT NULL,
    idempotency_key text NOT NULL,
    PRIMARY KEY (feed, idempotency_key)
);

-- Highest event time seen per stream and partition ("traffic|raw.loop:0"); the watermark is the
-- slowest partition's minus the allowed lateness.
CREATE TABLE ingest_watermarks (
    stream text PRIMARY KEY,
    max_event_time bigint NOT NULL
);

-- Partial sums per sensor per five-minute interval: aggregates are recomputed from these, so a
-- restart reproduces the same values and a correction includes everything accepted so far.
CREATE TABLE ingest_traffic_partials (
    segment_id text NOT NULL,
    interval_start bigint NOT NULL,
    sensor_id text NOT NULL,
    rate_sum double precision NOT NULL,
    rate_count integer NOT NULL,
    speed_sum double precision NOT NULL,
    speed_count integer NOT NULL,
    occupancy_sum double precision NOT NULL,
    occupancy_count integer NOT NULL,
    PRIMARY KEY (segment_id, interval_start, sensor_id)
);

-- One row per (segment, interval) that received data; dirty until its current state is emitted.
CREATE TABLE ingest_traffic_intervals (
    segment_id text NOT NULL,
    interval_start bigint NOT NULL,
    neighborhood text NOT NULL,
    dirty boolean NOT NULL,
    revision integer NOT NULL DEFAULT -1,
    PRIMARY KEY (segment_id, interval_start)
);

CREATE INDEX ingest_traffic_intervals_dirty ON ingest_traffic_intervals (interval_start) WHERE dirty;

CREATE TABLE ingest_context_partials (
    neighborhood text NOT NULL,
    interval_start bigint NOT NULL,
    temperature_sum double precision NOT NULL DEFAULT 0,
    precipitation_sum double precision NOT NULL DEFAULT 0,
    visibility_sum double precision NOT NULL DEFAULT 0,
    weather_count integer NOT NULL DEFAULT 0,
    delay_sum double precision NOT NULL DEFAULT 0,
    delay_count integer NOT NULL DEFAULT 0,
    event_updates integer NOT NULL DEFAULT 0,
    dirty boolean NOT NULL,
    revision integer NOT NULL DEFAULT -1,
    PRIMARY KEY (neighborhood, interval_start)
);

CREATE INDEX ingest_context_partials_dirty ON ingest_context_partials (interval_start) WHERE dirty;

-- Lifecycle of city events, to count the events active in an interval.
CREATE TABLE ingest_city_events (
    event_id text PRIMARY KEY,
    kind text NOT NULL,
    neighborhood text NOT NULL,
    started_at bigint,
    ended_at bigint
);

-- Observations committed for emission but not yet acknowledged by the broker. Written in the
-- same transaction as the state they come from, deleted after the producer's flush: a crash in
-- between re-sends them (same segment, interval and revision), never loses them.
CREATE TABLE ingest_outbox (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    message_key text NOT NULL,
    payload bytea NOT NULL
);

-- Data quality per sensor (loops and cameras).
CREATE TABLE ingest_sensor_quality (
    sensor_id text PRIMARY KEY,
    feed text NOT NULL,
    segment_id text NOT NULL,
    neighborhood text NOT NULL,
    interval_seconds integer NOT NULL,
    readings bigint NOT NULL,
    first_event_time bigint NOT NULL,
    last_event_time bigint NOT NULL,
    last_values text NOT NULL,
    identical_run integer NOT NULL,
    stuck_episodes integer NOT NULL,
    stuck boolean NOT NULL
);
