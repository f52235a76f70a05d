-- Feature store: segment ids compare byte by byte. Retrieval streams rows in canonical order
-- (instant, then segment id) and the snapshot fingerprint hashes them in that order, which is
-- the order of Swift strings, i.e. of UTF-8 bytes. Under a linguistic default collation
-- (en_US.UTF-8, as many Postgres images use) ORDER BY segment_id would disagree for ids with
-- punctuation or mixed case; with "C" the primary keys also serve the order and the merge join
-- of rows and labels directly.
ALTER TABLE feature_rows ALTER COLUMN segment_id TYPE text COLLATE "C";
ALTER TABLE feature_labels ALTER COLUMN segment_id TYPE text COLLATE "C";
