-- Rollup sums in two parts, as reads already add them: finite values under 1e270 in `sum`
-- (fewer than 10^38 of them cannot overflow), the others scaled by 2^-64 in
-- `large_sum_scaled`. A single float8 sum made PostgreSQL refuse the whole write of a batch
-- in which two values near the float limit (1e308 and 1e308) shared a bucket.
ALTER TABLE metric_rollups ADD COLUMN large_sum_scaled float8;

UPDATE metric_rollups
SET large_sum_scaled = sum * 5.421010862427522e-20, sum = NULL
WHERE abs(sum) >= 1e270;
