// Log in and sign up. Both honour `?next=<hash path>` and go there once signed in.
import { useState } from "preact/hooks";
import { api, ApiError } from "../api";
import type { PageProps } from "../app";
import { ErrorMessage, Field } from "../components/common";
import { submitWhen, useAction } from "../lib/hooks";
import { safeNext, splitHashPath } from "../lib/navigation";
import { href, navigate } from "../router";
import { currentSession, saveSession, sessionFromTokens, type TokenPair } from "../session";
import type { User } from "../types";
import "../styles/accounts.css";

interface SignupResponse {
  user: User;
  email_confirmation_required: boolean;
  tokens: TokenPair | null;
}

/** A link to `path` that keeps `next` (left out when it is the default, "/"). */
function hrefWithNext(path: string, next: string): string {
  return href(path, { next: next === "/" ? undefined : next });
}

function goNext(next: string): void {
  const { path, query } = splitHashPath(next);
  navigate(path, query, true);
}

/** Field-level messages from a 422 (`details: [{location, message}]`) appended to the main one. */
function withDetails(error: unknown): unknown {
  if (!(error instanceof ApiError) || !Array.isArray(error.details)) return error;
  const parts = (error.details as { location?: string; message?: string }[])
    .filter((detail) => detail && typeof detail.message === "string")
    .map((detail) => `${(detail.location ?? "").replace(/^body\./, "")} ${detail.message}`.trim());
  if (!parts.length || parts.every((part) => error.message.includes(part))) return error;
  return new ApiError(error.status, error.code, `${error.message} (${parts.join("; ")})`, error.details);
}

function SignedInNote({ next }: { next: string }) {
  const session = currentSession();
  if (!session) return null;
  return (
    <div class="message info">
      <span>
        Signed in as {session.user.email}. <a href={`#${next}`}>Continue</a>
      </span>
    </div>
  );
}

export function LoginPage({ query }: PageProps) {
  const next = safeNext(query.get("next"));
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { run: logIn, busy, error } = useAction(async () => {
    const tokens = await api<TokenPair>("/v1/auth/login", {
      method: "POST",
      body: { email: email.trim(), password },
      anonymous: true,
    });
    saveSession(sessionFromTokens(tokens));
    goNext(next);
    return "stay-busy";
  });

  const submit = submitWhen(!busy, logIn);

  return (
    <div class="auth-card panel">
      <h1>Log in to WaveDB</h1>
      <SignedInNote next={next} />
      <form onSubmit={submit} noValidate={false}>
        <Field label="E-mail" type="email" name="email" autoComplete="username" required autoFocus value={email} onValue={setEmail} data-testid="login-email" />
        <Field label="Password" type="password" name="password" autoComplete="current-password" required value={password} onValue={setPassword} data-testid="login-password" />
        <ErrorMessage error={withDetails(error)} />
        <button type="submit" class="primary" disabled={busy} data-testid="login-submit">
          {busy ? "Logging in…" : "Log in"}
        </button>
      </form>
      <p class="muted auth-switch">
        No account yet? <a href={hrefWithNext("/signup", next)}>Sign up</a>
      </p>
    </div>
  );
}

export function SignupPage({ query }: PageProps) {
  const next = safeNext(query.get("next"));
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [confirmTo, setConfirmTo] = useState<string | null>(null);

  const { run: signUp, busy, error } = useAction(async () => {
    const answer = await api<SignupResponse>("/v1/auth/signup", {
      method: "POST",
      body: { name: name.trim(), email: email.trim(), password },
      anonymous: true,
    });
    if (answer.tokens) {
      saveSession(sessionFromTokens(answer.tokens));
      goNext(next);
      return "stay-busy";
    }
    setConfirmTo(answer.user.email);
    return undefined;
  });

  const submit = submitWhen(!busy, signUp);

  if (confirmTo) {
    return (
      <div class="auth-card panel">
        <h1>Check your inbox</h1>
        <div class="message info" role="status" data-testid="signup-confirm">
          <span>
            Your account is created. We sent a confirmation link to <strong>{confirmTo}</strong>: open it, then log in.
          </span>
        </div>
        <p>
          <a href={hrefWithNext("/login", next)}>Go to log in</a>
        </p>
      </div>
    );
  }

  return (
    <div class="auth-card panel">
      <h1>Create your WaveDB account</h1>
      <SignedInNote next={next} />
      <form onSubmit={submit}>
        <Field label="Name" type="text" name="name" autoComplete="name" required maxLength={100} autoFocus value={name} onValue={setName} data-testid="signup-name" />
        <Field label="E-mail" type="email" name="email" autoComplete="email" required maxLength={254} value={email} onValue={setEmail} data-testid="signup-email" />
        <Field label="Password" type="password" name="password" autoComplete="new-password" required maxLength={256} value={password} onValue={setPassword} data-testid="signup-password" />
        <ErrorMessage error={withDetails(error)} />
        <button type="submit" class="primary" disabled={busy} data-testid="signup-submit">
          {busy ? "Creating account…" : "Sign up"}
        </button>
      </form>
      <p class="muted auth-switch">
        Already have an account? <a href={hrefWithNext("/login", next)}>Log in</a>
      </p>
    </div>
  );
}
