-- A ready item whose object is no longer in the bucket is `missing` (with the reason in
-- reject_reason) instead of `ready` with a link that cannot work; uploading the same item
-- again makes it pending, then ready.

ALTER TABLE media DROP CONSTRAINT media_status_check;
ALTER TABLE media ADD CONSTRAINT media_status_check
    CHECK (status IN ('pending', 'ready', 'rejected', 'missing'));
