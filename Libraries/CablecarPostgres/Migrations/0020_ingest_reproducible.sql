-- owner: ingest
-- Reproducible replays (docs/ingest.md): the same records give the same observations, revisions
-- and availability times in every run, whatever order partitions are read in.
--
-- 1. Sums are integers in millionths of their unit (ingest ExactSum): integer addition does not
--    depend on the order batches happened to form, floating-point addition does.
-- 2. A reading published after its interval's end plus the allowed lateness is late by its
--    publish time: it is kept apart (partials with late = true, ingest_context_late) and goes
--    into the interval's final revision, emitted when the too-late limit has passed it.
-- 3. Event updates remember when they were published, so a revision counts only the updates
--    published before its cutoff.

ALTER TABLE ingest_traffic_partials
    ALTER COLUMN rate_sum TYPE bigint USING round(rate_sum * 1000000)::bigint,
    ALTER COLUMN speed_sum TYPE bigint USING round(speed_sum * 1000000)::bigint,
    ALTER COLUMN occupancy_sum TYPE bigint USING round(occupancy_sum * 1000000)::bigint,
    ADD COLUMN late boolean NOT NULL DEFAULT false;

ALTER TABLE ingest_traffic_partials
    DROP CONSTRAINT ingest_traffic_partials_pkey,
    ADD PRIMARY KEY (segment_id, interval_start, sensor_id, late);

ALTER TABLE ingest_traffic_intervals
    ALTER COLUMN flow_mean_sum TYPE bigint USING round(flow_mean_sum * 1000000)::bigint,
    ALTER COLUMN speed_sum TYPE bigint USING round(speed_sum * 1000000)::bigint,
    ALTER COLUMN occupancy_sum TYPE bigint USING round(occupancy_sum * 1000000)::bigint,
    ADD COLUMN late_pending boolean NOT NULL DEFAULT false,
    ADD COLUMN late_published bigint,
    ADD COLUMN final_emitted boolean NOT NULL DEFAULT false;

-- Each sensor's mean now rounds to a millionth the way the statement that keeps the sums does.
UPDATE ingest_traffic_intervals i SET flow_mean_sum = s.flow_mean_sum
FROM (
    SELECT segment_id, interval_start,
           COALESCE(sum((2 * rate_sum + rate_count) / (2 * rate_count)) FILTER (WHERE rate_count > 0), 0) AS flow_mean_sum
    FROM ingest_traffic_partials
    GROUP BY segment_id, interval_start
) s
WHERE i.segment_id = s.segment_id AND i.interval_start = s.interval_start;

CREATE INDEX ingest_traffic_intervals_late ON ingest_traffic_intervals (interval_start) WHERE late_pending;

ALTER TABLE ingest_context_partials
    ALTER COLUMN temperature_sum TYPE bigint USING round(temperature_sum * 1000000)::bigint,
    ALTER COLUMN precipitation_sum TYPE bigint USING round(precipitation_sum * 1000000)::bigint,
    ALTER COLUMN visibility_sum TYPE bigint USING round(visibility_sum * 1000000)::bigint,
    ALTER COLUMN delay_sum TYPE bigint USING round(delay_sum * 1000000)::bigint,
    ADD COLUMN late_pending boolean NOT NULL DEFAULT false,
    ADD COLUMN late_published bigint,
    ADD COLUMN final_emitted boolean NOT NULL DEFAULT false;

CREATE INDEX ingest_context_partials_late ON ingest_context_partials (interval_start) WHERE late_pending;

-- Late context readings of a neighborhood-interval, added to its on-time sums in the final revision.
CREATE TABLE ingest_context_late (
    neighborhood text NOT NULL,
    interval_start bigint NOT NULL,
    temperature_sum bigint NOT NULL DEFAULT 0,
    precipitation_sum bigint NOT NULL DEFAULT 0,
    visibility_sum bigint NOT NULL DEFAULT 0,
    weather_count integer NOT NULL DEFAULT 0,
    delay_sum bigint NOT NULL DEFAULT 0,
    delay_count integer NOT NULL DEFAULT 0,
    event_updates integer NOT NULL DEFAULT 0,
    PRIMARY KEY (neighborhood, interval_start)
);

-- NULL (updates recorded before this migration): known from the start.
ALTER TABLE ingest_city_events
    ADD COLUMN started_published bigint,
    ADD COLUMN ended_published bigint;
