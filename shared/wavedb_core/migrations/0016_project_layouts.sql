-- Each user's chart layout of a project (panels, their metrics and settings), so that the
-- dashboard shows the same panels after a reload and on another machine.
CREATE TABLE project_layouts (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    layout     jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id)
);
-- Deleting a user finds their layouts by this index.
CREATE INDEX project_layouts_user_idx ON project_layouts (user_id);
