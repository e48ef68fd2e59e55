-- When each rollup bucket's latest point was logged, so charts can draw a series against
-- wall-clock time from the same downsampled read. Buckets written before this column existed
-- get the time from their points.
ALTER TABLE metric_rollups ADD COLUMN last_logged_at timestamptz;

UPDATE metric_rollups AS r SET last_logged_at = p.logged_at
FROM (
    SELECT r2.metric_id, r2.level, r2.bucket, max(mp.logged_at) AS logged_at
    FROM metric_rollups AS r2
    JOIN metric_points AS mp ON mp.metric_id = r2.metric_id
        AND mp.step >= r2.bucket * (8 ^ r2.level)::bigint
        AND mp.step < (r2.bucket + 1) * (8 ^ r2.level)::bigint
    GROUP BY r2.metric_id, r2.level, r2.bucket
) AS p
WHERE p.metric_id = r.metric_id AND p.level = r.level AND p.bucket = r.bucket;
