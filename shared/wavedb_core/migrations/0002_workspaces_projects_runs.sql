-- Workspaces (with members, roles and invitations), projects and runs.

CREATE TABLE workspaces (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    is_personal boolean NOT NULL DEFAULT false,
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Every user has exactly one personal workspace (made at sign-up).
CREATE UNIQUE INDEX workspaces_one_personal_per_user ON workspaces (created_by) WHERE is_personal;

-- Roles, from most to least powerful: owner > admin > member > viewer.
CREATE TABLE workspace_members (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    joined_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user_idx ON workspace_members (user_id);

CREATE TABLE workspace_invitations (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email        text NOT NULL,
    role         text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    invited_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'accepted', 'declined', 'revoked')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    responded_at timestamptz
);
-- At most one pending invitation per workspace and address.
CREATE UNIQUE INDEX workspace_invitations_pending_key
    ON workspace_invitations (workspace_id, lower(email)) WHERE status = 'pending';
CREATE INDEX workspace_invitations_email_idx ON workspace_invitations (lower(email));

CREATE TABLE projects (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX projects_workspace_name_key ON projects (workspace_id, lower(name));

-- A run (Tora: experiment, WaveDB: runner). `workspace_id` is kept beside `project_id`
-- so that every access check is one indexed join to workspace_members.
CREATE TABLE runs (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id   uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    config       jsonb NOT NULL DEFAULT '{}'::jsonb,
    tags         text[] NOT NULL DEFAULT '{}',
    notes        text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT 'running'
                 CHECK (status IN ('pending', 'running', 'finished', 'failed', 'crashed', 'canceled')),
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    ended_at     timestamptz,
    heartbeat_at timestamptz
);
CREATE INDEX runs_project_created_idx ON runs (project_id, created_at DESC, id DESC);
CREATE INDEX runs_workspace_created_idx ON runs (workspace_id, created_at DESC, id DESC);
CREATE INDEX runs_tags_idx ON runs USING gin (tags);
-- The crash detector scans running runs by heartbeat.
CREATE INDEX runs_running_heartbeat_idx ON runs (heartbeat_at) WHERE status = 'running';
