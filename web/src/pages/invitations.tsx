// My pending invitations: accept (and switch to that workspace) or decline. Opened from an
// invitation e-mail (`?token=`), the answer to that invitation carries the mailed token,
// which proves the invited address.
import { useState } from "preact/hooks";
import { api } from "../api";
import type { PageProps } from "../app";
import { Empty, ErrorMessage, Loading } from "../components/common";
import { formatRelative, formatTime } from "../lib/format";
import { useAction, useAsync } from "../lib/hooks";
import { answerBody, invitationIdOfToken } from "../lib/invitation_link";
import { navigate } from "../router";
import type { Invitation, Workspace } from "../types";
import { selectWorkspace } from "../workspace";
import "../styles/accounts.css";

function InvitationRow({ invitation, token, onGone }: { invitation: Invitation; token: string | null; onGone: () => void }) {
  const [chosen, setChosen] = useState<"accept" | "decline">("accept");
  const { run, busy, error } = useAction(async (action: "accept" | "decline") => {
    const body = answerBody(invitation.id, token);
    if (action === "accept") {
      const workspace = await api<Workspace>(`/v1/invitations/${invitation.id}/accept`, { method: "POST", body });
      selectWorkspace(workspace.id);
      navigate(`/workspaces/${workspace.id}`);
    } else {
      await api(`/v1/invitations/${invitation.id}/decline`, { method: "POST", body });
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

export function InvitationsPage({ query }: PageProps) {
  const invitations = useAsync(() => api<{ items: Invitation[] }>("/v1/invitations").then((page) => page.items), []);
  const pending = (invitations.data ?? []).filter((invitation) => invitation.status === "pending");
  const token = query.get("token");
  const linked = invitationIdOfToken(token);
  const linkMissing = linked !== null && invitations.data !== undefined && !pending.some((invitation) => invitation.id === linked);
  return (
    <div class="stack">
      <div class="page-header">
        <h1>Invitations</h1>
        <span class="muted">Workspaces you have been invited to join.</span>
      </div>
      {linkMissing && (
        <p class="panel muted" data-testid="invitation-link-missing">
          The invitation link you opened is not one of your pending invitations: it was answered already, has been
          withdrawn, or was sent to another address than the one you are signed in with.
        </p>
      )}
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
              token={token}
              onGone={() => invitations.setData((invitations.data ?? []).filter((item) => item.id !== invitation.id))}
            />
          ))}
        </ul>
      )}
    </div>
  );
}
