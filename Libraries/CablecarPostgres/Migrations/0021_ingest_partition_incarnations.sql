-- owner: ingest
-- A topic deleted and created again (or a broker that keeps topics in memory and restarted)
-- starts its offsets again at 0: positions the ledger has counted now hold other messages, and
-- were taken for redeliveries and silently skipped. Each batch range now remembers the Kafka
-- timestamp of its first message; a delivered message at a recorded first offset with another
-- timestamp means the partition is a new incarnation, and its earlier ledger rows are set aside
-- (docs/ingest.md, Exactly-once accounting).
ALTER TABLE ingest_batches ADD COLUMN first_timestamp bigint;
CREATE INDEX ingest_batches_first_offset ON ingest_batches (topic, kafka_partition, first_offset);
