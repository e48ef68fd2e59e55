-- Media of runs: images, audio, text, files (bytes in S3) and histograms (inline).

CREATE TABLE media (
    id               uuid PRIMARY KEY,
    run_id           uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name             text NOT NULL,
    step             bigint NOT NULL CHECK (step >= 0),
    kind             text NOT NULL CHECK (kind IN ('image', 'audio', 'text', 'file', 'histogram')),
    status           text NOT NULL CHECK (status IN ('pending', 'ready', 'rejected')),
    caption          text,
    -- What was granted (uploads) and what arrived.
    content_type     text,
    filename         text,
    declared_size    bigint CHECK (declared_size > 0),
    object_key       text UNIQUE,
    object_version   text,
    size_bytes       bigint,
    width            integer,
    height           integer,
    grant_expires_at timestamptz,
    reject_reason    text,
    -- Inline items: short text, histograms.
    text_value       text,
    histogram        jsonb,
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    ready_at         timestamptz,
    CHECK ((object_key IS NULL) = (kind = 'histogram' OR text_value IS NOT NULL))
);
CREATE INDEX media_run_name_step_idx ON media (run_id, name, step, id);
CREATE INDEX media_run_step_idx ON media (run_id, step, id);
-- The janitor finds abandoned grants by their expiry.
CREATE INDEX media_pending_expiry_idx ON media (grant_expires_at) WHERE status = 'pending';

-- Objects whose media rows are gone (deleted media, runs, projects, workspaces): the
-- janitor deletes them from the bucket, so nothing is left behind.
CREATE TABLE orphaned_objects (
    object_key  text PRIMARY KEY,
    orphaned_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION remember_objects_of_deleted_media() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO orphaned_objects (object_key)
    SELECT object_key FROM deleted_media WHERE object_key IS NOT NULL
    ON CONFLICT (object_key) DO NOTHING;
    RETURN NULL;
END;
$$;

-- Fires for direct deletes and for cascades from runs, projects and workspaces.
CREATE TRIGGER media_delete_objects
    AFTER DELETE ON media
    REFERENCING OLD TABLE AS deleted_media
    FOR EACH STATEMENT EXECUTE FUNCTION remember_objects_of_deleted_media();
