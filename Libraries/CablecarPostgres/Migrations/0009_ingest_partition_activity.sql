-- Scale-out: ingest instances in one consumer group each own some raw partitions, and emission
-- must wait for the slowest partition of the whole group, not of one instance. Every instance
-- writes its partitions' progress to ingest_watermarks, and every instance computes the
-- watermark from all rows there. Idle partitions (nothing accepted for
-- CABLECAR_INGEST_IDLE_PARTITION_S) must then be judged from the table too: active_at is the
-- processing time (ms since the epoch) at which the partition last accepted a record.
ALTER TABLE ingest_watermarks ADD COLUMN active_at bigint;

-- Rows from before the upgrade count as active now: an upgrade gives every partition a full
-- idle period to speak, as a restart always has.
UPDATE ingest_watermarks SET active_at = (extract(epoch FROM now()) * 1000)::bigint;

ALTER TABLE ingest_watermarks ALTER COLUMN active_at SET NOT NULL;
