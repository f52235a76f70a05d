-- One outbox row per emission (every observation of one topic that a transaction made due)
-- instead of one per observation: a busy batch wrote, returned and then deleted hundreds of
-- rows for what the broker receives in one flush. `packed_count` is the number of messages in
-- `payload` (layout: see OutboxPacking in cablecar-ingest); NULL marks a single message as
-- written before, which start-up still sends.
ALTER TABLE ingest_outbox ADD COLUMN packed_count int4 CHECK (packed_count IS NULL OR packed_count > 0);
