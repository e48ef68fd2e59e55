-- Export jobs: a run's metrics or a project's run table written to the media bucket by the
-- export worker and handed out as a presigned GET. Only the caller who asked sees a job.

CREATE TABLE export_jobs (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL
                CHECK (kind IN ('run_metrics_long', 'run_metrics_wide', 'project_runs',
                                'tora_logs_csv')),
    format      text NOT NULL DEFAULT 'csv' CHECK (format IN ('csv')),
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    run_id      uuid REFERENCES runs (id) ON DELETE CASCADE,
    created_by  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'done', 'failed')),
    error       text,
    filename    text NOT NULL,
    -- Set when the worker starts; the object exists only once the upload is complete,
    -- which is when the job is marked done.
    object_key  text,
    size_bytes  bigint,
    row_count   bigint,
    created_at  timestamptz NOT NULL DEFAULT now(),
    started_at  timestamptz,
    finished_at timestamptz,
    expires_at  timestamptz,
    CHECK ((kind = 'project_runs') = (run_id IS NULL)),
    CHECK (status <> 'done' OR (object_key IS NOT NULL AND size_bytes IS NOT NULL))
);
CREATE INDEX export_jobs_created_by_idx ON export_jobs (created_by, created_at DESC);
-- A large Tora CSV export asked for again reuses the caller's recent job of the run.
CREATE INDEX export_jobs_run_idx ON export_jobs (run_id, created_by, kind, created_at DESC)
    WHERE run_id IS NOT NULL;
CREATE INDEX export_jobs_project_idx ON export_jobs (project_id);
