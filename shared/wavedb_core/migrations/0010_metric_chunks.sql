-- The columnar metric store (docs/columnar-store.md): one row per (series, chunk of up to
-- 4,096 points with increasing, distinct steps). Chunks of a series never overlap in steps;
-- a step logged twice keeps the point logged last, applied when chunks are written.
CREATE TABLE metric_chunks (
    metric_id        bigint   NOT NULL REFERENCES run_metrics (id) ON DELETE CASCADE,
    first_step       bigint   NOT NULL,
    last_step        bigint   NOT NULL CHECK (last_step >= first_step),
    count            int      NOT NULL CHECK (count BETWEEN 1 AND 4096),
    codec            smallint NOT NULL,              -- 1: shuffled little-endian arrays, zlib
    -- aggregates: count every point; finite_count and the two-part sum the finite values
    -- (sum: values under 1e270; large_sum_scaled: the others times 2^-64); min and max
    -- ignore NaN; last_value is the value at last_step
    finite_count     int      NOT NULL,
    sum              float8,
    large_sum_scaled float8,
    min              float8,
    max              float8,
    last_value       float8   NOT NULL,
    first_us         bigint   NOT NULL,              -- logged time of the first point, µs
    last_us          bigint   NOT NULL,              -- latest logged time in the chunk, µs
    -- the points (codec 1)
    steps            bytea,                          -- NULL: consecutive first..last_step
    logged           bytea    NOT NULL,              -- int64 deltas from first_us
    vals             bytea    NOT NULL,              -- float64, bit-exact
    blocks           bytea    NOT NULL,              -- a summary per 256 points
    PRIMARY KEY (metric_id, first_step)
);
-- Already compressed: TOAST must not try pglz again.
ALTER TABLE metric_chunks ALTER COLUMN steps SET STORAGE EXTERNAL;
ALTER TABLE metric_chunks ALTER COLUMN logged SET STORAGE EXTERNAL;
ALTER TABLE metric_chunks ALTER COLUMN vals SET STORAGE EXTERNAL;

-- What a few points carry beyond (step, value, time): the Tora log id (msg_id, which
-- makes a re-sent log idempotent) and its metadata. Only compatibility clients send them.
CREATE TABLE metric_point_extras (
    metric_id bigint NOT NULL REFERENCES run_metrics (id) ON DELETE CASCADE,
    step      bigint NOT NULL,
    msg_id    uuid,
    metadata  jsonb,
    PRIMARY KEY (metric_id, step)
);
CREATE UNIQUE INDEX metric_point_extras_msg_key ON metric_point_extras (metric_id, msg_id)
    WHERE msg_id IS NOT NULL;

-- Series whose points are still (partly) rows of metric_points: the conversion moves
-- them into chunks in bounded, resumable transactions, through done_through_step.
CREATE TABLE metric_chunk_migration (
    metric_id         bigint PRIMARY KEY REFERENCES run_metrics (id) ON DELETE CASCADE,
    done_through_step bigint
);
INSERT INTO metric_chunk_migration (metric_id)
SELECT id FROM run_metrics WHERE count > 0;
