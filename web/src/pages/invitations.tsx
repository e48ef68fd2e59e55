// My pending invitations: accept (and switch to that workspace) or decline.
import { useState } from "preact/hooks";
import { api } from "../api";
import type { PageProps } from "../app";
import { Empty, ErrorMessage, Loading } from "../components/common";
import { formatRelative, formatTime } from "../lib/format";
import { useAction, useAsync } from "../lib/hooks";
import { navigate } from "../router";
import type { Invitation, Workspace } from "../types";
import { selectWorkspace } from "../workspace";
import "../styles/accounts.css";

function InvitationRow({ invitation, onGone }: { invitation: Invitation; onGone: () => void }) {
  const [chosen, setChosen] = useState<"accept" | "decline">("accept");
  const { run, busy, error } = useAction(async (action: "accept" | "decline") => {
    if (action === "accept") {
      const workspace = await api<Workspace>(`/v1/invitations/${invitation.id}/accept`, { method: "POST" });
      selectWorkspace(workspace.id);
      navigate(`/workspaces/${workspace.id}`);
    } else {
      await api(`/v1/invitations/${invitation.id}/decline`, { method: "POST" });
      onGone();
    }
    return "stay-busy"; // the page changes, or this row goes
  });
  const act = (action: "accept" | "decline") => {
    setChosen(action);
    void run(action);
  };
  const expired = Date.parse(invitation.expires_at) <= Date.now();
  const inviter = invitation.invited_by ? invitation.invited_by.name || invitation.invited_by.email : null;
  return (
    <li class="panel invitation-card" data-testid="invitation-row" data-invitation-id={invitation.id}>
      <div class="invitation-text">
        <strong>{invitation.workspace_name}</strong>
        <span>
          {inviter ? `${inviter} invited you` : "You are invited"} as <strong>{invitation.role}</strong>,{" "}
          <span title={formatTime(invitation.created_at)}>{formatRelative(invitation.created_at)}</span>.
        </span>
        <span class={expired ? "expired" : "muted"}>
          {expired ? "Expired" : "Expires"} {formatTime(invitation.expires_at)}
        </span>
      </div>
      <div class="actions">
        <button type="button" class="primary" disabled={busy || expired} onClick={() => act("accept")} data-testid="invitation-accept">
          {busy && chosen === "accept" ? "Joining…" : "Accept"}
        </button>
        <button type="button" disabled={busy} onClick={() => act("decline")} data-testid="invitation-decline">
          {busy && chosen === "decline" ? "Declining…" : "Decline"}
        </button>
      </div>
      <ErrorMessage error={error} />
    </li>
  );
}

export function InvitationsPage(_props: PageProps) {
  const invitations = useAsync(() => api<{ items: Invitation[] }>("/v1/invitations").then((page) => page.items), []);
  const pending = (invitations.data ?? []).filter((invitation) => invitation.status === "pending");
  return (
    <div class="stack">
      <div class="page-header">
        <h1>Invitations</h1>
        <span class="muted">Workspaces you have been invited to join.</span>
      </div>
      {invitations.error ? (
        <ErrorMessage error={invitations.error} onRetry={invitations.reload} />
      ) : !invitations.data ? (
        <Loading />
      ) : !pending.length ? (
        <Empty>No pending invitations. When someone invites your e-mail address to a workspace, it shows up here.</Empty>
      ) : (
        <ul class="invitation-list" data-testid="my-invitations">
          {pending.map((invitation) => (
            <InvitationRow
              key={invitation.id}
              invitation={invitation}
              onGone={() => invitations.setData((invitations.data ?? []).filter((item) => item.id !== invitation.id))}
            />
          ))}
        </ul>
      )}
    </div>
  );
}
