// A workspace's projects: list, create, and the SDK lines to log a first run. Also: new workspace.
import { useState } from "preact/hooks";
import { api, fetchAll } from "../api";
import type { PageProps } from "../app";
import { Empty, ErrorMessage, Field, Loading } from "../components/common";
import { formatRelative, formatTime } from "../lib/format";
import { submitWhen, useAction, useAsync } from "../lib/hooks";
import { href, navigate } from "../router";
import type { Project, Workspace } from "../types";
import { selectWorkspace } from "../workspace";
import "../styles/accounts.css";

function sdkSnippet(projectName: string, workspace: Workspace | undefined): string {
  const workspaceArg = workspace && !workspace.is_personal ? `, workspace=${JSON.stringify(workspace.name)}` : "";
  return [
    "pip install ./sdk",
    `wavedb login --api-url ${window.location.origin}   # paste a key from "API keys"`,
    "",
    "# in your training script:",
    "import wavedb",
    `run = wavedb.init(project=${JSON.stringify(projectName)}${workspaceArg}, config={"lr": 3e-4})`,
    'run.log({"loss": 0.5})',
    "run.finish()",
  ].join("\n");
}

function SdkSnippet({ projectName, workspace }: { projectName: string; workspace: Workspace | undefined }) {
  return (
    <pre class="snippet" data-testid="sdk-snippet">
      <code>{sdkSnippet(projectName, workspace)}</code>
    </pre>
  );
}

function NewProjectForm({ workspaceId, onCreated }: { workspaceId: string; onCreated: (project: Project) => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const { run: create, busy, error } = useAction(async () => {
    const project = await api<Project>(`/v1/workspaces/${workspaceId}/projects`, {
      method: "POST",
      body: { name: name.trim(), description: description.trim() },
    });
    setName("");
    setDescription("");
    onCreated(project);
  });
  const submit = submitWhen(!busy && name.trim() !== "", create);
  return (
    <form class="panel stack" onSubmit={submit}>
      <div class="form-row">
        <Field
          label="New project"
          type="text"
          required
          maxLength={100}
          placeholder="e.g. mnist"
          value={name}
          onValue={setName}
          data-testid="new-project-name"
        />
        <Field
          label="Description (optional)"
          class="grow"
          type="text"
          maxLength={2000}
          value={description}
          onValue={setDescription}
          data-testid="new-project-description"
        />
        <button type="submit" class="primary" disabled={busy || !name.trim()} data-testid="new-project-submit">
          {busy ? "Creating…" : "Create project"}
        </button>
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}

function NewWorkspaceForm({ onCancel }: { onCancel: () => void }) {
  const [name, setName] = useState("");
  const { run: create, busy, error } = useAction(async () => {
    const workspace = await api<Workspace>("/v1/workspaces", { method: "POST", body: { name: name.trim() } });
    selectWorkspace(workspace.id);
    navigate(`/workspaces/${workspace.id}`);
    return "stay-busy";
  });
  const submit = submitWhen(!busy && name.trim() !== "", create);
  return (
    <form class="panel stack" onSubmit={submit}>
      <div class="form-row">
        <Field
          label="New workspace name"
          class="grow"
          type="text"
          required
          maxLength={100}
          autoFocus
          value={name}
          onValue={setName}
          data-testid="new-workspace-name"
        />
        <button type="submit" class="primary" disabled={busy || !name.trim()} data-testid="new-workspace-submit">
          {busy ? "Creating…" : "Create workspace"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <span class="muted">A shared workspace for a team: invite members from its settings page afterwards.</span>
      <ErrorMessage error={error} />
    </form>
  );
}

export function ProjectsPage({ params }: PageProps) {
  const workspaceId = params.workspaceId;
  const workspace = useAsync(() => api<Workspace>(`/v1/workspaces/${workspaceId}`), [workspaceId]);
  const projects = useAsync(() => fetchAll<Project>(`/v1/workspaces/${workspaceId}/projects`), [workspaceId]);
  const [creatingWorkspace, setCreatingWorkspace] = useState(false);
  const list = projects.data ?? [];
  const canCreate = workspace.data ? workspace.data.role !== "viewer" : true;

  return (
    <div class="stack">
      <div class="page-header">
        <h1>{workspace.data ? workspace.data.name : "Projects"}</h1>
        {workspace.data && (
          <span class="muted">
            {workspace.data.is_personal ? "personal workspace" : `you are ${workspace.data.role}`}
          </span>
        )}
        <span class="spacer" />
        <a href={href(`/workspaces/${workspaceId}/settings`)} data-testid="workspace-settings-link">
          Members &amp; settings
        </a>
        {!creatingWorkspace && (
          <button type="button" onClick={() => setCreatingWorkspace(true)} data-testid="new-workspace-button">
            New workspace
          </button>
        )}
      </div>
      {creatingWorkspace && <NewWorkspaceForm onCancel={() => setCreatingWorkspace(false)} />}
      {workspace.data?.description && <p class="muted">{workspace.data.description}</p>}
      <ErrorMessage error={workspace.error} onRetry={workspace.reload} />
      {canCreate && (
        <NewProjectForm
          workspaceId={workspaceId}
          onCreated={(project) => projects.setData([project, ...list.filter((item) => item.id !== project.id)])}
        />
      )}
      {projects.error ? (
        <ErrorMessage error={projects.error} onRetry={projects.reload} />
      ) : !projects.data ? (
        <Loading label="Loading projects…" />
      ) : !list.length ? (
        <Empty>
          <p>No projects yet. Create one above, or log a first run with the SDK and the project appears here:</p>
          <SdkSnippet projectName="my-first-project" workspace={workspace.data} />
        </Empty>
      ) : (
        <ul class="project-list" data-testid="project-list">
          {list.map((project) => (
            <li key={project.id} class="panel project-card" data-testid="project-card">
              <a class="project-link" href={href(`/projects/${project.id}`)} data-testid="project-link">
                {project.name}
              </a>
              {project.description && <p>{project.description}</p>}
              <span class="meta" title={formatTime(project.created_at)}>
                created {formatRelative(project.created_at)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
