-- owner: registry
-- Run searches answered in SQL (filter, order, one page). Their default order is start time
-- descending, then id: with the id in the index a page is read in index order, and a filter is
-- checked run by run until the page is full, instead of sorting every run of the experiment.
-- The latest point of a metric (highest step, then timestamp, then insertion) is one probe of
-- an index that ends in the id as well.
CREATE INDEX registry_runs_search_order ON registry_runs (experiment_id, start_time_ms DESC, id);
DROP INDEX registry_runs_experiment;
CREATE INDEX registry_run_metrics_latest ON registry_run_metrics (run_id, key, step, timestamp_ms, id);
DROP INDEX registry_run_metrics_history;
