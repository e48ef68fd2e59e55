-- Run search: a filtered, sorted first page of a large project reads an index in the
-- order asked for, and config and summary conditions find their runs without a scan.

-- Sorting a project's runs by each built-in field (then id, for keyset pagination).
CREATE INDEX runs_project_name_idx ON runs (project_id, name, id);
CREATE INDEX runs_project_updated_idx ON runs (project_id, updated_at, id);
CREATE INDEX runs_project_status_idx ON runs (project_id, status, id);
CREATE INDEX runs_project_started_idx ON runs (project_id, started_at, id);
CREATE INDEX runs_project_ended_idx ON runs (project_id, ended_at, id);

-- `config.optimizer = adam` is a containment test; `lr` as a bare name an existence test.
CREATE INDEX runs_config_idx ON runs USING gin (config jsonb_path_ops);

-- Conditions on a metric's or a result's summary start from the runs that have it.
CREATE INDEX run_metrics_name_idx ON run_metrics (name, run_id);
CREATE INDEX run_results_name_idx ON run_results (name, run_id);
