-- One outbox row per emission (every observation of one topic that a transaction made due)
-- instead of one per observation: a busy batch wrote, returned and then deleted hundreds of
-- rows for what the broker receives in one flush. `packed_count` is the number of messages in
-- `payload` (layout: see OutboxPacking in cablecar-ingest); NULL marks a single message as
-- written before, which start-up still sends.
ALTER TABLE ingest_outbox ADD COLUMN packed_count int4 CHECK (packed_count IS NULL OR packed_count > 0);

-- A packed row is a few hundred kB of JSON sent once and deleted: compressing it cost more
-- than writing it (pglz on every insert), so it is stored out of line uncompressed.
ALTER TABLE ingest_outbox ALTER COLUMN payload SET STORAGE EXTERNAL;

-- Interval rows are updated by every batch that adds readings to them, without changing a
-- key or the dirty flag: free space on each page lets Postgres do that in place (a HOT
-- update) instead of writing new index entries. Applies to pages written from now on.
ALTER TABLE ingest_traffic_intervals SET (fillfactor = 80);
ALTER TABLE ingest_traffic_partials SET (fillfactor = 90);
