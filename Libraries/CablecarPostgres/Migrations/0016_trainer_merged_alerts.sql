-- owner: trainer
-- Continuous training: an alert that arrives while another alert's retraining is still queued is
-- merged into it (status 'merged', merged_into naming the queued request) instead of queueing a
-- retraining of its own. Every alert of a storm is still recorded under its id, so a redelivered
-- alert stays a duplicate; the queued request is moved to the newest alert's window.
ALTER TABLE trainer_requests DROP CONSTRAINT trainer_requests_status_check;
ALTER TABLE trainer_requests ADD CONSTRAINT trainer_requests_status_check
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'merged'));
ALTER TABLE trainer_requests ADD COLUMN merged_into text;
