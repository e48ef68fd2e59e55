-- The SHA-256 of each batch's content (its points, in order), so that a batch id sent again
-- with other points is refused rather than answered as the batch it names. Batches recorded
-- before this column existed have none: for them, the point and part counts are compared.
ALTER TABLE ingest_batches ADD COLUMN content_digest bytea;
