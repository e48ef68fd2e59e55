// A workspace's settings: name and description, members and roles, invitations, leave or delete.
import { useState } from "preact/hooks";
import { api, ApiError, fetchAll } from "../api";
import type { PageProps } from "../app";
import { ActionsTableHead, ConfirmButtons, Empty, ErrorMessage, Field, Loading, Options } from "../components/common";
import { formatRelative, formatTime } from "../lib/format";
import { submitWhen, useAction, useAsync } from "../lib/hooks";
import { canChangeMember, canEditWorkspace, canManage as managesMembers, roleChoices } from "../lib/roles";
import { href, navigate } from "../router";
import { currentSession } from "../session";
import type { Invitation, Member, Role, Workspace } from "../types";
import { selectWorkspace } from "../workspace";
import "../styles/accounts.css";

const INVITED_ROLES: Role[] = ["member", "admin", "viewer"];

function WorkspaceForm({ workspace, onSaved }: { workspace: Workspace; onSaved: (workspace: Workspace) => void }) {
  const [name, setName] = useState(workspace.name);
  const [description, setDescription] = useState(workspace.description);
  const [saved, setSaved] = useState(false);
  const changed = name.trim() !== workspace.name || description.trim() !== workspace.description;
  const { run: save, busy, error } = useAction(async () => {
    setSaved(false);
    const updated = await api<Workspace>(`/v1/workspaces/${workspace.id}`, {
      method: "PATCH",
      body: { name: name.trim(), description: description.trim() },
    });
    onSaved(updated);
    setSaved(true);
  });
  const submit = submitWhen(!busy && name.trim() !== "" && changed, save);
  return (
    <form class="panel stack" onSubmit={submit}>
      <Field
        label="Name"
        class="field"
        type="text"
        required
        maxLength={100}
        value={name}
        onValue={(value) => {
          setName(value);
          setSaved(false);
        }}
        data-testid="workspace-name"
      />
      <label class="field">
        Description
        <textarea
          maxLength={2000}
          value={description}
          onInput={(event) => {
            setDescription((event.currentTarget as HTMLTextAreaElement).value);
            setSaved(false);
          }}
          data-testid="workspace-description"
        />
      </label>
      <div class="row">
        <button type="submit" class="primary" disabled={busy || !changed || !name.trim()} data-testid="workspace-save">
          {busy ? "Saving…" : "Save"}
        </button>
        {saved && <span class="muted" role="status">Saved.</span>}
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}

function MemberRow({
  workspace,
  member,
  isMe,
  onChanged,
  onRemoved,
}: {
  workspace: Workspace;
  member: Member;
  isMe: boolean;
  onChanged: (member: Member) => void;
  onRemoved: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const editable = !isMe && canChangeMember(workspace.role, member.role);
  const memberPath = `/v1/workspaces/${workspace.id}/members/${member.user_id}`;

  // changing the role and removing share one busy flag and one error
  const { run, busy, error } = useAction(async (change: Role | "remove") => {
    if (change === "remove") {
      await api(memberPath, { method: "DELETE" });
      onRemoved();
      return "stay-busy";
    }
    onChanged(await api<Member>(memberPath, { method: "PATCH", body: { role: change } }));
    return undefined;
  });
  const setRole = (role: Role) => {
    if (role !== member.role) void run(role);
  };
  const remove = async () => {
    if (!(await run("remove"))) setConfirming(false);
  };

  return (
    <tr data-testid="member-row" data-user-id={member.user_id} data-role={member.role}>
      <td>
        {member.name || "–"}
        {isMe && <span class="you">(you)</span>}
      </td>
      <td>{member.email}</td>
      <td>
        {editable ? (
          <select
            class="role-select"
            value={member.role}
            disabled={busy}
            aria-label={`Role of ${member.email}`}
            onChange={(event) => setRole((event.currentTarget as HTMLSelectElement).value as Role)}
            data-testid="member-role"
          >
            <Options values={roleChoices(workspace.role)} />
          </select>
        ) : (
          <span data-testid="member-role-text">{member.role}</span>
        )}
      </td>
      <td title={formatTime(member.joined_at)}>{formatRelative(member.joined_at)}</td>
      <td class="actions-cell">
        {editable &&
          (confirming ? (
            <div class="actions">
              <span class="muted">Remove {member.name || member.email}?</span>
              <ConfirmButtons label="Yes, remove" busy={busy} onConfirm={remove} onCancel={() => setConfirming(false)} testId="member-remove-confirm" />
            </div>
          ) : (
            <button type="button" class="danger" disabled={busy} onClick={() => setConfirming(true)} data-testid="member-remove">
              Remove
            </button>
          ))}
        <ErrorMessage error={error} />
      </td>
    </tr>
  );
}

function InviteForm({ workspaceId, onInvited }: { workspaceId: string; onInvited: (invitation: Invitation) => void }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [sent, setSent] = useState<Invitation | null>(null);
  const { run: invite, busy, error } = useAction(async () => {
    setSent(null);
    const invitation = await api<Invitation>(`/v1/workspaces/${workspaceId}/invitations`, {
      method: "POST",
      body: { email: email.trim(), role },
    });
    setEmail("");
    setSent(invitation);
    onInvited(invitation);
  });
  const submit = submitWhen(!busy && email.trim() !== "", invite);
  return (
    <form class="panel stack" onSubmit={submit}>
      <div class="form-row">
        <Field
          label="Invite by e-mail"
          class="grow"
          type="email"
          required
          maxLength={254}
          placeholder="colleague@example.com"
          value={email}
          onValue={setEmail}
          data-testid="invite-email"
        />
        <label>
          Role
          <select value={role} onChange={(event) => setRole((event.currentTarget as HTMLSelectElement).value as Role)} data-testid="invite-role">
            <Options values={INVITED_ROLES} />
          </select>
        </label>
        <button type="submit" class="primary" disabled={busy || !email.trim()} data-testid="invite-submit">
          {busy ? "Inviting…" : "Send invitation"}
        </button>
      </div>
      <span class="muted">
        Admins manage members and projects; members log and edit runs; viewers only read. The invitee accepts it on their
        Invitations page.
      </span>
      {sent &&
        (sent.invite_url ? (
          <span role="status" class="muted">
            No e-mail is sent from this server: pass this link on to {sent.email} (it works only for an account with that
            address): <code data-testid="invite-link">{sent.invite_url}</code>
          </span>
        ) : (
          <span role="status" class="muted">
            Invitation sent to {sent.email}.
          </span>
        ))}
      <ErrorMessage error={error} />
    </form>
  );
}

function InvitationRow({ workspaceId, invitation, onRevoked }: { workspaceId: string; invitation: Invitation; onRevoked: () => void }) {
  const { run: revoke, busy, error } = useAction(async () => {
    await api(`/v1/workspaces/${workspaceId}/invitations/${invitation.id}`, { method: "DELETE" });
    onRevoked();
    return "stay-busy";
  });
  return (
    <tr data-testid="invitation-row" data-invitation-id={invitation.id} data-status={invitation.status}>
      <td>{invitation.email}</td>
      <td>{invitation.role}</td>
      <td>{invitation.status}</td>
      <td>{invitation.invited_by ? invitation.invited_by.name || invitation.invited_by.email : "–"}</td>
      <td title={formatTime(invitation.created_at)}>{formatRelative(invitation.created_at)}</td>
      <td>{formatTime(invitation.expires_at)}</td>
      <td class="actions-cell">
        {invitation.status === "pending" && (
          <button type="button" class="danger" disabled={busy} onClick={revoke} data-testid="invitation-revoke">
            {busy ? "Revoking…" : "Revoke"}
          </button>
        )}
        <ErrorMessage error={error} />
      </td>
    </tr>
  );
}

function LeaveOrDelete({ workspace, isOnlyOwner }: { workspace: Workspace; isOnlyOwner: boolean }) {
  const [confirm, setConfirm] = useState<"leave" | "delete" | null>(null);
  const [typed, setTyped] = useState("");
  const { run: act, busy, error } = useAction(async () => {
    if (confirm === "delete") await api(`/v1/workspaces/${workspace.id}`, { method: "DELETE" });
    else await api(`/v1/workspaces/${workspace.id}/leave`, { method: "POST" });
    selectWorkspace(null);
    navigate("/", undefined, true);
    return "stay-busy";
  });
  if (workspace.is_personal) {
    return <p class="muted">This is your personal workspace: it cannot be left or deleted.</p>;
  }
  return (
    <div class="panel stack danger-zone">
      {confirm === null && (
        <div class="row">
          <button type="button" class="danger" onClick={() => setConfirm("leave")} data-testid="workspace-leave">
            Leave workspace
          </button>
          {workspace.role === "owner" && (
            <button type="button" class="danger" onClick={() => setConfirm("delete")} data-testid="workspace-delete">
              Delete workspace
            </button>
          )}
        </div>
      )}
      {confirm === "leave" && (
        <div class="stack">
          <span>
            Leave <strong>{workspace.name}</strong>? You lose access to its projects and runs until someone invites you again.
            {isOnlyOwner && " You are its only owner: make someone else owner first, or the API refuses."}
          </span>
          <div class="row">
            <ConfirmButtons label="Yes, leave" busy={busy} onConfirm={act} onCancel={() => setConfirm(null)} testId="workspace-leave-confirm" />
          </div>
        </div>
      )}
      {confirm === "delete" && (
        <div class="stack">
          <label class="field">
            Delete <strong>{workspace.name}</strong> with all its projects, runs, metrics and media. Type its name to confirm:
            <input type="text" value={typed} onInput={(event) => setTyped((event.currentTarget as HTMLInputElement).value)} data-testid="workspace-delete-name" />
          </label>
          <div class="row">
            <ConfirmButtons
              label="Delete for good"
              busy={busy}
              confirmDisabled={typed !== workspace.name}
              onConfirm={act}
              onCancel={() => setConfirm(null)}
              testId="workspace-delete-confirm"
            />
          </div>
        </div>
      )}
      <ErrorMessage error={error} />
    </div>
  );
}

export function WorkspaceSettingsPage({ params }: PageProps) {
  const workspaceId = params.workspaceId;
  const me = currentSession()?.user.id;
  const workspace = useAsync(() => api<Workspace>(`/v1/workspaces/${workspaceId}`), [workspaceId]);
  const members = useAsync(() => fetchAll<Member>(`/v1/workspaces/${workspaceId}/members`), [workspaceId]);
  const canManage = managesMembers(workspace.data?.role);
  const invitations = useAsync(
    async () => {
      if (!canManage) return [] as Invitation[];
      try {
        return await fetchAll<Invitation>(`/v1/workspaces/${workspaceId}/invitations`);
      } catch (caught) {
        if (caught instanceof ApiError && caught.status === 403) return [] as Invitation[];
        throw caught;
      }
    },
    [workspaceId, canManage],
  );
  const memberList = members.data ?? [];
  const invitationList = invitations.data ?? [];
  const owners = memberList.filter((member) => member.role === "owner");
  const isOnlyOwner = owners.length === 1 && owners[0].user_id === me;

  if (workspace.error) return <ErrorMessage error={workspace.error} onRetry={workspace.reload} />;
  if (!workspace.data) return <Loading />;
  const current = workspace.data;

  return (
    <div class="stack">
      <div>
        <div class="breadcrumb">
          <a href={href(`/workspaces/${workspaceId}`)}>{current.name}</a>
        </div>
        <div class="page-header">
          <h1>Workspace settings</h1>
          <span class="muted">you are {current.role}</span>
        </div>
      </div>

      {canEditWorkspace(current.role) ? (
        <WorkspaceForm key={current.updated_at} workspace={current} onSaved={workspace.setData} />
      ) : (
        <div class="panel">
          <strong>{current.name}</strong>
          {current.description && <p class="muted">{current.description}</p>}
          <p class="muted">Only owners rename or describe the workspace.</p>
        </div>
      )}

      <section>
        <h2>Members</h2>
        {members.error ? (
          <ErrorMessage error={members.error} onRetry={members.reload} />
        ) : !members.data ? (
          <Loading />
        ) : (
          <div class="table-scroll">
            <table class="data" data-testid="member-table">
              <ActionsTableHead columns={["Name", "E-mail", "Role", "Joined"]} />
              <tbody>
                {memberList.map((member) => (
                  <MemberRow
                    key={member.user_id}
                    workspace={current}
                    member={member}
                    isMe={member.user_id === me}
                    onChanged={(changed) => members.setData(memberList.map((item) => (item.user_id === changed.user_id ? changed : item)))}
                    onRemoved={() => members.setData(memberList.filter((item) => item.user_id !== member.user_id))}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {canManage && (
        <section class="stack">
          <h2 style={{ marginBottom: 0 }}>Invitations</h2>
          <InviteForm workspaceId={workspaceId} onInvited={(invitation) => invitations.setData([invitation, ...invitationList])} />
          {invitations.error ? (
            <ErrorMessage error={invitations.error} onRetry={invitations.reload} />
          ) : !invitations.data ? (
            <Loading />
          ) : !invitationList.length ? (
            <Empty>No pending invitations.</Empty>
          ) : (
            <div class="table-scroll">
              <table class="data" data-testid="invitation-table">
                <ActionsTableHead columns={["E-mail", "Role", "Status", "Invited by", "Sent", "Expires"]} />
                <tbody>
                  {invitationList.map((invitation) => (
                    <InvitationRow
                      key={invitation.id}
                      workspaceId={workspaceId}
                      invitation={invitation}
                      onRevoked={() => invitations.setData(invitationList.filter((item) => item.id !== invitation.id))}
                    />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
      {!canManage && (
        <p class="muted">Owners and admins invite new members.</p>
      )}

      <section>
        <h2>Leave or delete</h2>
        <LeaveOrDelete workspace={current} isOnlyOwner={isOnlyOwner} />
      </section>
    </div>
  );
}
