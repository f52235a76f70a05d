-- Ingest throughput: emitting a due interval read every sensor's partial back (one primary-key
-- lookup per interval), the largest step of a batch once history grows. The interval's row now
-- carries the sums its observation is computed from, kept up to date by the statement that adds
-- the partials (see ingest/IntervalSums): emission reads only the rows it marks emitted.
-- flow_mean_sum is the sum over sensors of each sensor's mean count rate (rate_sum / rate_count).

ALTER TABLE ingest_traffic_intervals
    ADD COLUMN flow_mean_sum double precision NOT NULL DEFAULT 0,
    ADD COLUMN reporting_sensors integer NOT NULL DEFAULT 0,
    ADD COLUMN sample_count integer NOT NULL DEFAULT 0,
    ADD COLUMN speed_sum double precision NOT NULL DEFAULT 0,
    ADD COLUMN speed_count integer NOT NULL DEFAULT 0,
    ADD COLUMN occupancy_sum double precision NOT NULL DEFAULT 0,
    ADD COLUMN occupancy_count integer NOT NULL DEFAULT 0;

-- Existing intervals get their sums from their partials, so an upgraded deployment's
-- corrections still count everything accepted before the upgrade.
UPDATE ingest_traffic_intervals i SET
    flow_mean_sum = s.flow_mean_sum, reporting_sensors = s.reporting_sensors, sample_count = s.sample_count,
    speed_sum = s.speed_sum, speed_count = s.speed_count, occupancy_sum = s.occupancy_sum, occupancy_count = s.occupancy_count
FROM (
    SELECT segment_id, interval_start,
           COALESCE(sum(rate_sum / rate_count) FILTER (WHERE rate_count > 0), 0) AS flow_mean_sum,
           count(*) FILTER (WHERE rate_count > 0) AS reporting_sensors,
           sum(rate_count) AS sample_count,
           sum(speed_sum) AS speed_sum, sum(speed_count) AS speed_count,
           sum(occupancy_sum) AS occupancy_sum, sum(occupancy_count) AS occupancy_count
    FROM ingest_traffic_partials
    GROUP BY segment_id, interval_start
) s
WHERE i.segment_id = s.segment_id AND i.interval_start = s.interval_start;
