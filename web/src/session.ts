// The signed-in session: tokens kept in localStorage so a reload stays signed in.

export interface SessionUser {
  id: string;
  email: string;
  name: string;
}

export interface Session {
  accessToken: string;
  accessExpiresAt: number; // ms since epoch
  refreshToken: string;
  user: SessionUser;
}

export interface TokenPair {
  access_token: string;
  expires_at: string;
  refresh_token: string;
  user: SessionUser;
}

const STORAGE_KEY = "wavedb.session";
const listeners = new Set<(session: Session | null) => void>();

export function sessionFromTokens(tokens: TokenPair): Session {
  return {
    accessToken: tokens.access_token,
    accessExpiresAt: Date.parse(tokens.expires_at),
    refreshToken: tokens.refresh_token,
    user: { id: tokens.user.id, email: tokens.user.email, name: tokens.user.name },
  };
}

export function currentSession(): Session | null {
  const raw = localStorage.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Session;
  } catch {
    localStorage.removeItem(STORAGE_KEY);
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else localStorage.removeItem(STORAGE_KEY);
  for (const listener of listeners) listener(session);
}

export function onSessionChange(listener: (session: Session | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
