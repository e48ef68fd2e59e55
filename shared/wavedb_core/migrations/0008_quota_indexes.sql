-- Quotas count the workspaces each user made on every creation of one.
CREATE INDEX workspaces_created_by_idx ON workspaces (created_by);
