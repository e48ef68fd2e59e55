// Log in and sign up. Both honour `?next=<hash path>` and go there once signed in.
import { useState } from "preact/hooks";
import { api, ApiError } from "../api";
import type { PageProps } from "../app";
import { ErrorMessage } from "../components/common";
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

function goNext(next: string): void {
  const { path, query } = splitHashPath(next);
  navigate(path, query, true);
}

function inputValue(event: Event): string {
  return (event.currentTarget as HTMLInputElement).value;
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
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const tokens = await api<TokenPair>("/v1/auth/login", {
        method: "POST",
        body: { email: email.trim(), password },
        anonymous: true,
      });
      saveSession(sessionFromTokens(tokens));
      goNext(next);
    } catch (caught) {
      setError(withDetails(caught));
      setBusy(false);
    }
  };

  return (
    <div class="auth-card panel">
      <h1>Log in to WaveDB</h1>
      <SignedInNote next={next} />
      <form onSubmit={submit} noValidate={false}>
        <label>
          E-mail
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            autoFocus
            value={email}
            onInput={(event) => setEmail(inputValue(event))}
            data-testid="login-email"
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(event) => setPassword(inputValue(event))}
            data-testid="login-password"
          />
        </label>
        <ErrorMessage error={error} />
        <button type="submit" class="primary" disabled={busy} data-testid="login-submit">
          {busy ? "Logging in…" : "Log in"}
        </button>
      </form>
      <p class="muted auth-switch">
        No account yet? <a href={href("/signup", { next: next === "/" ? undefined : next })}>Sign up</a>
      </p>
    </div>
  );
}

export function SignupPage({ query }: PageProps) {
  const next = safeNext(query.get("next"));
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [confirmTo, setConfirmTo] = useState<string | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await api<SignupResponse>("/v1/auth/signup", {
        method: "POST",
        body: { name: name.trim(), email: email.trim(), password },
        anonymous: true,
      });
      if (answer.tokens) {
        saveSession(sessionFromTokens(answer.tokens));
        goNext(next);
        return;
      }
      setConfirmTo(answer.user.email);
      setBusy(false);
    } catch (caught) {
      setError(withDetails(caught));
      setBusy(false);
    }
  };

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
          <a href={href("/login", { next: next === "/" ? undefined : next })}>Go to log in</a>
        </p>
      </div>
    );
  }

  return (
    <div class="auth-card panel">
      <h1>Create your WaveDB account</h1>
      <SignedInNote next={next} />
      <form onSubmit={submit}>
        <label>
          Name
          <input
            type="text"
            name="name"
            autoComplete="name"
            required
            maxLength={100}
            autoFocus
            value={name}
            onInput={(event) => setName(inputValue(event))}
            data-testid="signup-name"
          />
        </label>
        <label>
          E-mail
          <input
            type="email"
            name="email"
            autoComplete="email"
            required
            maxLength={254}
            value={email}
            onInput={(event) => setEmail(inputValue(event))}
            data-testid="signup-email"
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete="new-password"
            required
            maxLength={256}
            value={password}
            onInput={(event) => setPassword(inputValue(event))}
            data-testid="signup-password"
          />
        </label>
        <ErrorMessage error={error} />
        <button type="submit" class="primary" disabled={busy} data-testid="signup-submit">
          {busy ? "Creating account…" : "Sign up"}
        </button>
      </form>
      <p class="muted auth-switch">
        Already have an account? <a href={href("/login", { next: next === "/" ? undefined : next })}>Log in</a>
      </p>
    </div>
  );
}
