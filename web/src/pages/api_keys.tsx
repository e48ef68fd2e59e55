// API keys: list, create (the key is shown once), revoke.
import { useState } from "preact/hooks";
import { api } from "../api";
import type { PageProps } from "../app";
import { ActionsTableHead, ConfirmButtons, CopyButton, Empty, ErrorMessage, Field, Loading } from "../components/common";
import { formatRelative, formatTime } from "../lib/format";
import { submitWhen, useAction, useAsync } from "../lib/hooks";
import type { ApiKey, ApiKeyCreated } from "../types";
import "../styles/accounts.css";

type Scope = "read" | "write";

function isExpired(key: ApiKey, now = Date.now()): boolean {
  return key.expires_at !== null && Date.parse(key.expires_at) <= now;
}

function CreateKeyForm({ onCreated }: { onCreated: (key: ApiKeyCreated) => void }) {
  const [name, setName] = useState("");
  const [days, setDays] = useState("");
  const [scopes, setScopes] = useState<Record<Scope, boolean>>({ read: true, write: true });
  const chosen = (Object.keys(scopes) as Scope[]).filter((scope) => scopes[scope]);
  const daysNumber = days.trim() ? Number(days) : null;
  const daysInvalid = daysNumber !== null && (!Number.isInteger(daysNumber) || daysNumber < 1 || daysNumber > 3650);

  const { run: create, busy, error } = useAction(async () => {
    const created = await api<ApiKeyCreated>("/v1/api-keys", {
      method: "POST",
      body: { name: name.trim(), scopes: chosen, ...(daysNumber ? { expires_in_days: daysNumber } : {}) },
    });
    setName("");
    setDays("");
    onCreated(created);
  });

  const submit = submitWhen(!busy && name.trim() !== "" && chosen.length > 0 && !daysInvalid, create);

  return (
    <form class="panel stack" onSubmit={submit}>
      <h2 style={{ margin: 0 }}>New API key</h2>
      <div class="form-row">
        <Field
          label="Name"
          class="grow"
          type="text"
          required
          maxLength={100}
          placeholder="e.g. training cluster"
          value={name}
          onValue={setName}
          data-testid="api-key-name"
        />
        <Field
          label="Expires after (days, optional)"
          type="number"
          min={1}
          max={3650}
          step={1}
          placeholder="never"
          value={days}
          aria-invalid={daysInvalid}
          onValue={setDays}
          data-testid="api-key-expiry"
        />
        <fieldset>
          <legend>Scopes</legend>
          {(["read", "write"] as const).map((scope) => (
            <label key={scope}>
              <input
                type="checkbox"
                checked={scopes[scope]}
                onChange={(event) => setScopes({ ...scopes, [scope]: (event.currentTarget as HTMLInputElement).checked })}
                data-testid={`api-key-scope-${scope}`}
              />
              {scope}
            </label>
          ))}
        </fieldset>
        <button type="submit" class="primary" disabled={busy || !name.trim() || !chosen.length || daysInvalid} data-testid="api-key-create">
          {busy ? "Creating…" : "Create key"}
        </button>
      </div>
      {!chosen.length && <p class="muted" style={{ margin: 0 }}>Choose at least one scope. The SDK needs “write” to log runs.</p>}
      {daysInvalid && <p class="muted" style={{ margin: 0 }}>Expiry must be a whole number of days from 1 to 3650.</p>}
      <ErrorMessage error={error} />
    </form>
  );
}

function NewKeySecret({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  return (
    <section class="panel secret-box" aria-live="polite">
      <strong>Key “{created.name}” created</strong>
      <div class="row">
        <code class="secret" data-testid="api-key-secret">
          {created.key}
        </code>
        <CopyButton text={created.key} />
      </div>
      <span class="hint">Store it now, it is not shown again.</span>
      <span class="muted">
        Use it with <code>wavedb login</code> or the <code>WAVEDB_API_KEY</code> environment variable.
      </span>
      <div>
        <button type="button" onClick={onDone}>
          I have stored it
        </button>
      </div>
    </section>
  );
}

function RevokeButton({ apiKey, onRevoked }: { apiKey: ApiKey; onRevoked: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const { run: revoke, busy, error } = useAction(async () => {
    await api(`/v1/api-keys/${apiKey.id}`, { method: "DELETE" });
    onRevoked();
    return "stay-busy";
  });
  if (!confirming) {
    return (
      <button type="button" class="danger" onClick={() => setConfirming(true)} data-testid="api-key-revoke">
        Revoke
      </button>
    );
  }
  return (
    <div class="actions">
      <span class="muted">Revoke “{apiKey.name}”? Programs using it stop working.</span>
      <ConfirmButtons label={busy ? "Revoking…" : "Yes, revoke"} busy={busy} onConfirm={revoke} onCancel={() => setConfirming(false)} testId="api-key-revoke-confirm" />
      <ErrorMessage error={error} />
    </div>
  );
}

export function ApiKeysPage(_props: PageProps) {
  const keys = useAsync(() => api<ApiKey[]>("/v1/api-keys"), []);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const list = keys.data ?? [];

  return (
    <div class="stack">
      <div class="page-header">
        <h1>API keys</h1>
        <span class="muted">Keys let the SDK and CLI act as you. They are tied to your account, not to a workspace.</span>
      </div>
      {created && <NewKeySecret created={created} onDone={() => setCreated(null)} />}
      <CreateKeyForm
        onCreated={(key) => {
          setCreated(key);
          const { key: _secret, ...described } = key;
          keys.setData([described, ...list.filter((item) => item.id !== key.id)]);
        }}
      />
      <section>
        <h2>Your keys</h2>
        {keys.error ? (
          <ErrorMessage error={keys.error} onRetry={keys.reload} />
        ) : !keys.data ? (
          <Loading />
        ) : !list.length ? (
          <Empty>No API keys yet. Create one above, then run <code>wavedb login</code> and paste it.</Empty>
        ) : (
          <div class="table-scroll">
            <table class="data" data-testid="api-key-table">
              <ActionsTableHead columns={["Name", "Prefix", "Scopes", "Created", "Last used", "Expires"]} />
              <tbody>
                {list.map((key) => (
                  <tr key={key.id} data-testid="api-key-row" data-key-id={key.id}>
                    <td>{key.name}</td>
                    <td>
                      <code>{key.prefix}…</code>
                    </td>
                    <td>
                      {key.scopes.map((scope) => (
                        <span class="tag" key={scope}>
                          {scope}
                        </span>
                      ))}
                    </td>
                    <td title={formatTime(key.created_at)}>{formatRelative(key.created_at)}</td>
                    <td title={formatTime(key.last_used_at)}>{key.last_used_at ? formatRelative(key.last_used_at) : "never"}</td>
                    <td class={isExpired(key) ? "expired" : undefined}>
                      {key.expires_at ? `${isExpired(key) ? "expired " : ""}${formatTime(key.expires_at)}` : "never"}
                    </td>
                    <td class="actions-cell">
                      <RevokeButton
                        apiKey={key}
                        onRevoked={() => keys.setData(list.filter((item) => item.id !== key.id))}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
