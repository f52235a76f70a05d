-- Ingest throughput: one indexed row per raw message (ledger) plus one per accepted record
-- (idempotency key, as text) made Postgres the bottleneck. The ledger becomes:
--   * ingest_batches: the offset range each batch handled per partition (redelivery detection:
--     a partition's messages are handled in offset order and a batch commits atomically, so
--     an offset at or below the highest recorded one was handled before);
--   * ingest_outcome_counts: append-only counts per batch, feed, neighborhood, outcome and reason
--     (accounting: accepted + rejected + duplicate = received, summed over rows);
--   * ingest_ledger: kept for rejected messages only (their reason is re-sent on redelivery).
-- Idempotency keys become 16-byte digests of "feed|key", appended to one row per feed and
-- five-minute event-time bucket (ingest/DedupIndex reads a bucket once and keeps it in memory).

CREATE TABLE ingest_batches (
    topic text NOT NULL,
    kafka_partition integer NOT NULL,
    first_offset bigint NOT NULL,
    last_offset bigint NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, kafka_partition, last_offset)
);

-- No index: reports sum the whole table, which holds a few dozen rows per batch.
CREATE TABLE ingest_outcome_counts (
    feed text NOT NULL,
    neighborhood text,
    outcome text NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'duplicate')),
    reason text,
    count integer NOT NULL CHECK (count > 0),
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- Carry existing per-message rows over, so upgraded deployments keep their accounting.
INSERT INTO ingest_batches (topic, kafka_partition, first_offset, last_offset)
SELECT topic, kafka_partition, min(kafka_offset), max(kafka_offset) FROM ingest_ledger GROUP BY topic, kafka_partition;

INSERT INTO ingest_outcome_counts (feed, neighborhood, outcome, reason, count)
SELECT feed, neighborhood, outcome, reason, count(*) FROM ingest_ledger GROUP BY feed, neighborhood, outcome, reason;

DELETE FROM ingest_ledger WHERE outcome <> 'rejected';

-- Keys of one feed and five-minute event-time bucket share a row: digests appended as bytes.
-- Every key but an event's ("id#status") ends in "@<event time>", so equal keys share a bucket.
CREATE TABLE ingest_dedup_buckets (
    feed text NOT NULL,
    bucket bigint NOT NULL,
    digests bytea NOT NULL,
    PRIMARY KEY (feed, bucket)
);

-- Random digests do not compress: skip the attempt.
ALTER TABLE ingest_dedup_buckets ALTER COLUMN digests SET STORAGE EXTERNAL;

INSERT INTO ingest_dedup_buckets (feed, bucket, digests)
SELECT feed, bucket, string_agg(digest, ''::bytea)
FROM (
    SELECT feed,
           CASE WHEN feed = 'events' THEN 0
                ELSE (split_part(idempotency_key, '@', -1)::bigint / 300000) * 300000 END AS bucket,
           substring(sha256(convert_to(feed || '|' || idempotency_key, 'UTF8')) FROM 1 FOR 16) AS digest
    FROM ingest_dedup
) keys
GROUP BY feed, bucket;

DROP TABLE ingest_dedup;
