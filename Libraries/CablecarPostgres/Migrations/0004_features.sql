-- Feature store (cablecar-features): registered feature definitions, the observation history
-- (every revision, with event time and availability time), materialized feature rows (offline
-- store), the latest vector per segment (online store), stream progress and dataset
-- snapshots. See docs/features.md.

-- Definitions declared in code, registered at start-up. Same name+version must keep the same
-- content (content_sha256); a changed definition needs a new version.
CREATE TABLE feature_definitions (
    name text NOT NULL,
    version integer NOT NULL,
    entity text NOT NULL,
    definition jsonb NOT NULL,
    content_sha256 text NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);

-- Every revision of obs.traffic. available_at is when the platform had the revision on the
-- event-time clock (see docs/features.md, "Availability"); a revision is used for instant t
-- only if available_at <= t. Partitioned by day of event time; partitions are created on
-- demand by feature_ensure_day_partition.
CREATE TABLE feature_traffic_history (
    segment_id text NOT NULL,
    neighborhood text NOT NULL,
    event_time bigint NOT NULL,
    revision integer NOT NULL,
    available_at bigint NOT NULL,
    ingest_time bigint NOT NULL,
    flow double precision NOT NULL,
    speed double precision,
    occupancy double precision,
    sample_count integer NOT NULL,
    PRIMARY KEY (segment_id, event_time, revision)
) PARTITION BY RANGE (event_time);

-- Every revision of obs.context, same rules.
CREATE TABLE feature_context_history (
    neighborhood text NOT NULL,
    event_time bigint NOT NULL,
    revision integer NOT NULL,
    available_at bigint NOT NULL,
    ingest_time bigint NOT NULL,
    temperature double precision,
    precipitation double precision,
    visibility double precision,
    active_events integer NOT NULL,
    active_incidents integer NOT NULL,
    transit_delay double precision,
    transit_reports integer NOT NULL,
    PRIMARY KEY (neighborhood, event_time, revision)
) PARTITION BY RANGE (event_time);

-- Latest revision per (segment, interval): the labels of feature rows. Kept beside the history
-- so retrieval joins one row instead of picking the newest revision on every read.
CREATE TABLE feature_labels (
    interval_start bigint NOT NULL,
    segment_id text NOT NULL,
    revision integer NOT NULL,
    flow double precision NOT NULL,
    speed double precision,
    PRIMARY KEY (interval_start, segment_id)
);

-- Offline store: one materialized row per (instant, segment). vals packs the feature values
-- of feature_set (sha256 of the ordered names and versions) as little-endian float64, a NaN
-- with payload 0xBAD meaning "missing". Rows never change once computed (later revisions are
-- available only later); backfill rewrites them with identical content.
CREATE TABLE feature_rows (
    ts bigint NOT NULL,
    segment_id text NOT NULL,
    neighborhood text NOT NULL,
    feature_set text NOT NULL,
    vals bytea NOT NULL,
    PRIMARY KEY (ts, segment_id)
) PARTITION BY RANGE (ts);

-- Online store: the newest vector per segment.
CREATE TABLE feature_online (
    segment_id text PRIMARY KEY,
    neighborhood text NOT NULL,
    ts bigint NOT NULL,
    feature_set text NOT NULL,
    vals bytea NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The availability clock: newest interval end per consumed partition ("obs.traffic:0").
CREATE TABLE feature_stream_clock (
    source text PRIMARY KEY,
    high_water bigint NOT NULL
);

-- Completed five-minute steps; published = features.ready was acknowledged by the broker
-- (unpublished steps are re-sent at start-up, so a crash never loses the notification).
CREATE TABLE feature_steps (
    ts bigint PRIMARY KEY,
    row_count integer NOT NULL,
    completed_at timestamptz NOT NULL DEFAULT now(),
    published boolean NOT NULL DEFAULT false
);

-- Materialized training sets, recorded with their fingerprint so a run can be reproduced:
-- the same request over the (append-only) history yields the same rows and fingerprint.
CREATE TABLE feature_snapshots (
    id bigserial PRIMARY KEY,
    fingerprint text NOT NULL,
    request jsonb NOT NULL,
    feature_versions jsonb NOT NULL,
    row_count bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feature_snapshots_fingerprint ON feature_snapshots (fingerprint);

-- Creates the day partition of a day-partitioned feature table holding `t` (epoch ms), if
-- missing. Names and bounds are built with format(%I, %s) from the table name and integers.
CREATE FUNCTION feature_ensure_day_partition(parent text, t bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    day_start bigint := (t / 86400000) * 86400000 - CASE WHEN t < 0 AND t % 86400000 <> 0 THEN 86400000 ELSE 0 END;
    child text := parent || '_d' || to_char(to_timestamp(day_start / 1000) AT TIME ZONE 'UTC', 'YYYYMMDD');
BEGIN
    IF to_regclass(child) IS NOT NULL THEN
        RETURN;
    END IF;
    -- Serialize creators of the same partition (two transactions racing on one day).
    PERFORM pg_advisory_xact_lock(hashtext(child));
    IF to_regclass(child) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)', child, parent, day_start, day_start + 86400000);
    END IF;
END;
$$;
