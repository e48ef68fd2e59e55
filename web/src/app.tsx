// The shell: top bar, workspace switcher, sign-in guard and the page for the current route.
import type { ComponentType } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, onSessionExpired } from "./api";
import { ErrorBoundary, ErrorMessage } from "./components/common";
import { useAsync } from "./lib/hooks";
import { ApiKeysPage } from "./pages/api_keys";
import { ComparePage } from "./pages/compare";
import { InvitationsPage } from "./pages/invitations";
import { LoginPage, SignupPage } from "./pages/login";
import { ProjectsPage } from "./pages/projects";
import { RunPage } from "./pages/run";
import { RunTablePage } from "./pages/run_table";
import { WorkspaceSettingsPage } from "./pages/workspace_settings";
import { currentHash, href, matchPath, navigate, useLocation } from "./router";
import { currentSession, onSessionChange, saveSession, type Session } from "./session";
import type { Workspace } from "./types";
import { currentWorkspaceId, selectWorkspace, useFollowWorkspace, useWorkspaceId } from "./workspace";

export interface PageProps {
  params: Record<string, string>;
  query: URLSearchParams;
}

interface Route {
  pattern: string;
  page: ComponentType<PageProps>;
  public?: boolean;
}

const ROUTES: Route[] = [
  { pattern: "/login", page: LoginPage, public: true },
  { pattern: "/signup", page: SignupPage, public: true },
  { pattern: "/", page: Home },
  { pattern: "/workspaces/:workspaceId", page: ProjectsPage },
  { pattern: "/workspaces/:workspaceId/settings", page: WorkspaceSettingsPage },
  { pattern: "/invitations", page: InvitationsPage },
  { pattern: "/api-keys", page: ApiKeysPage },
  { pattern: "/projects/:projectId", page: RunTablePage },
  { pattern: "/runs/:runId", page: RunPage },
  { pattern: "/compare", page: ComparePage },
];

function sendToLogin(): void {
  const here = currentHash();
  if (here.startsWith("/login") || here.startsWith("/signup")) return;
  navigate("/login", { next: here }, true);
}

function useSession(): Session | null {
  const [session, setSession] = useState(currentSession);
  useEffect(() => onSessionChange(setSession), []);
  return session;
}

let workspacesRequest: Promise<{ items: Workspace[] }> | null = null;

/** The user's workspaces. `#/` and the top bar both ask on the same page load: one request answers both. */
function fetchWorkspaces(): Promise<{ items: Workspace[] }> {
  workspacesRequest ??= api<{ items: Workspace[] }>("/v1/workspaces", { query: { limit: 200 } }).finally(() => {
    workspacesRequest = null;
  });
  return workspacesRequest;
}

/** `#/`: the current workspace's projects (the first workspace when none is chosen). */
function Home() {
  const workspaces = useAsync(fetchWorkspaces, []);
  useEffect(() => {
    const items = workspaces.data?.items;
    if (!items?.length) return;
    const chosen =
      items.find((item) => item.id === currentWorkspaceId()) ??
      items.find((item) => item.is_personal) ??
      items[0];
    selectWorkspace(chosen.id);
    navigate(`/workspaces/${chosen.id}`, undefined, true);
  }, [workspaces.data]);
  if (workspaces.error) return <ErrorMessage error={workspaces.error} onRetry={workspaces.reload} />;
  if (workspaces.data && !workspaces.data.items.length) return <p>You are not a member of any workspace yet.</p>;
  return null;
}

function TopBar({ session }: { session: Session }) {
  const workspaceId = useWorkspaceId();
  const workspaces = useAsync(fetchWorkspaces, [session.user.id]);
  const [menuOpen, setMenuOpen] = useState(false);
  // A workspace joined, created or left elsewhere in the app: read the list again (once per id).
  const reloadedFor = useRef<string | null>(null);
  useEffect(() => {
    const items = workspaces.data?.items;
    if (!workspaceId || !items || items.some((item) => item.id === workspaceId)) return;
    if (reloadedFor.current === workspaceId) return;
    reloadedFor.current = workspaceId;
    void workspaces.reload();
  }, [workspaceId, workspaces.data]);
  const logout = async () => {
    try {
      await api("/v1/auth/logout", { method: "POST", body: { refresh_token: session.refreshToken } });
    } catch {
      // the tokens are forgotten here either way
    }
    saveSession(null);
    selectWorkspace(null);
    navigate("/login", undefined, true);
  };
  return (
    <header class="topbar">
      <a class="brand" href="#/">
        WaveDB
      </a>
      <select
        class="workspace-switcher"
        aria-label="Workspace"
        data-testid="workspace-switcher"
        value={workspaceId ?? ""}
        onChange={(event) => {
          const id = (event.target as HTMLSelectElement).value;
          selectWorkspace(id);
          navigate(`/workspaces/${id}`);
        }}
      >
        {!workspaceId && <option value="">Workspace…</option>}
        {workspaces.data?.items.map((workspace) => (
          <option key={workspace.id} value={workspace.id}>
            {workspace.name}
          </option>
        ))}
      </select>
      <button type="button" class="menu-toggle" aria-label="Menu" onClick={() => setMenuOpen(!menuOpen)}>
        ☰
      </button>
      <nav class={menuOpen ? "open" : ""} onClick={() => setMenuOpen(false)}>
        {workspaceId && <a href={href(`/workspaces/${workspaceId}`)}>Projects</a>}
        {workspaceId && <a href={href(`/workspaces/${workspaceId}/settings`)}>Members</a>}
        <a href="#/invitations">Invitations</a>
        <a href="#/api-keys" data-testid="nav-api-keys">
          API keys
        </a>
        <span class="user" title={session.user.email}>
          {session.user.name || session.user.email}
        </span>
        <button type="button" class="link" onClick={logout} data-testid="logout">
          Log out
        </button>
      </nav>
    </header>
  );
}

export function App() {
  const session = useSession();
  const location = useLocation();
  useEffect(() => onSessionExpired(sendToLogin), []);

  let route: Route | undefined;
  let params: Record<string, string> = {};
  for (const candidate of ROUTES) {
    const matched = matchPath(candidate.pattern, location.path);
    if (matched) {
      route = candidate;
      params = matched;
      break;
    }
  }
  const needsLogin = !session && !route?.public;
  useEffect(() => {
    if (needsLogin) sendToLogin();
  }, [needsLogin]);
  useFollowWorkspace(params.workspaceId);

  if (needsLogin) return null;
  const Page = route?.page;
  return (
    <div class="shell">
      {session && !route?.public && <TopBar session={session} />}
      <main>
        <ErrorBoundary key={location.path}>
          {Page ? (
            <Page params={params} query={location.query} />
          ) : (
            <div class="message error" role="alert">
              There is no page at {location.path}. <a href="#/">Go to your projects</a>.
            </div>
          )}
        </ErrorBoundary>
      </main>
    </div>
  );
}
