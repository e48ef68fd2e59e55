// Where to go after signing in: a `?next=` hash path, checked so it cannot leave the app.

/** A safe in-app hash path from `?next=` (`/runs/x?tab=media`), or "/" when missing or suspicious. */
export function safeNext(next: string | null | undefined): string {
  if (!next) return "/";
  const path = next.startsWith("#") ? next.slice(1) : next;
  if (!path.startsWith("/") || path.startsWith("//")) return "/";
  if (/^\/(login|signup)(\?|$)/.test(path)) return "/";
  if (/[\s\\]/.test(path)) return "/";
  return path;
}

/** Split a hash path into the parts `navigate(path, query)` takes. */
export function splitHashPath(target: string): { path: string; query: Record<string, string> } {
  const index = target.indexOf("?");
  const path = index === -1 ? target : target.slice(0, index);
  const search = index === -1 ? "" : target.slice(index + 1);
  return { path: path || "/", query: Object.fromEntries(new URLSearchParams(search).entries()) };
}
