-- Metrics: per-run series with running summaries, raw points, multi-level rollups for
-- downsampled reads, final results, and the ingest batches that carry points in.

-- One row per (run, metric name), with a summary kept up to date by the ingest worker.
-- min and max ignore NaN; "last" is the point with the highest step (then the latest time).
CREATE TABLE run_metrics (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name           text NOT NULL,
    count          bigint NOT NULL DEFAULT 0,
    min            float8,
    max            float8,
    last_value     float8,
    last_step      bigint,
    first_step     bigint,
    last_logged_at timestamptz,
    UNIQUE (run_id, name)
);

-- Raw points. No foreign key: a per-row check would slow COPY down; the trigger below
-- removes the points (and rollups) of deleted metrics instead.
CREATE TABLE metric_points (
    metric_id bigint NOT NULL,
    step      bigint NOT NULL,
    value     float8 NOT NULL,
    logged_at timestamptz NOT NULL,
    msg_id    uuid,
    metadata  jsonb
);
CREATE INDEX metric_points_metric_step_idx ON metric_points (metric_id, step);
-- A point sent twice (client retry across batches) is stored once.
CREATE UNIQUE INDEX metric_points_metric_msg_key ON metric_points (metric_id, msg_id)
    WHERE msg_id IS NOT NULL;

-- Aggregates of 8^level consecutive steps (level 1..7), bucket = step div 8^level.
-- sum and finite_count cover finite values only; min and max ignore NaN.
CREATE TABLE metric_rollups (
    metric_id    bigint NOT NULL,
    level        smallint NOT NULL CHECK (level BETWEEN 1 AND 7),
    bucket       bigint NOT NULL,
    count        bigint NOT NULL,
    finite_count bigint NOT NULL,
    sum          float8,
    min          float8,
    max          float8,
    last_step    bigint NOT NULL,
    last_value   float8 NOT NULL,
    PRIMARY KEY (metric_id, level, bucket)
);

CREATE FUNCTION delete_points_of_deleted_metrics() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM metric_points WHERE metric_id IN (SELECT id FROM deleted_metrics);
    DELETE FROM metric_rollups WHERE metric_id IN (SELECT id FROM deleted_metrics);
    RETURN NULL;
END;
$$;

-- Fires for direct deletes and for cascades from runs, projects and workspaces.
CREATE TRIGGER run_metrics_delete_points
    AFTER DELETE ON run_metrics
    REFERENCING OLD TABLE AS deleted_metrics
    FOR EACH STATEMENT EXECUTE FUNCTION delete_points_of_deleted_metrics();

-- Final values of a run (accuracy, best loss...), one per name.
CREATE TABLE run_results (
    run_id    uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name      text NOT NULL,
    value     float8 NOT NULL,
    logged_at timestamptz NOT NULL DEFAULT now(),
    msg_id    uuid,
    metadata  jsonb,
    PRIMARY KEY (run_id, name)
);

-- A batch of points accepted by the API and split into `parts` queue messages; the worker
-- records each part it writes in the same transaction as its points (exactly-once effect).
CREATE TABLE ingest_batches (
    run_id        uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    batch_id      text NOT NULL,
    parts         int NOT NULL CHECK (parts >= 1),
    parts_written int NOT NULL DEFAULT 0,
    point_count   int NOT NULL,
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'written', 'failed')),
    error         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    written_at    timestamptz,
    PRIMARY KEY (run_id, batch_id)
);

CREATE TABLE ingest_batch_parts (
    run_id     uuid NOT NULL,
    batch_id   text NOT NULL,
    part       int NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, batch_id, part),
    FOREIGN KEY (run_id, batch_id) REFERENCES ingest_batches (run_id, batch_id) ON DELETE CASCADE
);
