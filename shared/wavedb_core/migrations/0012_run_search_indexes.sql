-- Run search: a filtered, sorted first page of a large project reads an index in the
-- order asked for, and config and summary conditions find their runs without a scan.

-- Sorting a project's runs by each built-in field (then id, for keyset pagination); the
-- runs without a start or an end are read from the same index, by id.
CREATE INDEX runs_project_name_idx ON runs (project_id, name, id);
CREATE INDEX runs_project_updated_idx ON runs (project_id, updated_at, id);
CREATE INDEX runs_project_status_idx ON runs (project_id, status, id);
CREATE INDEX runs_project_started_idx ON runs (project_id, started_at, id);
CREATE INDEX runs_project_ended_idx ON runs (project_id, ended_at, id);

-- `config.optimizer = adam` is a containment test; `lr` as a bare name an existence test.
CREATE INDEX runs_config_idx ON runs USING gin (config);

-- Sorting by a metric's summary or a result reads its runs in order from these (then joins
-- the runs), and conditions on them start from the runs in the asked range.
CREATE INDEX run_metrics_name_last_idx ON run_metrics (name, last_value, run_id);
CREATE INDEX run_metrics_name_min_idx ON run_metrics (name, min, run_id);
CREATE INDEX run_metrics_name_max_idx ON run_metrics (name, max, run_id);
CREATE INDEX run_results_name_value_idx ON run_results (name, value, run_id);
