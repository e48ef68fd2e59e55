// The one way the app talks to the API: same origin, JSON, Bearer token, one refresh on 401.
import { currentSession, saveSession, sessionFromTokens, type TokenPair } from "./session";

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  query?: Query;
  body?: unknown;
  /** Send no Authorization header (sign-up, log-in). */
  anonymous?: boolean;
  signal?: AbortSignal;
}

/** An error the API answered with ({code, message, details}) or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Called when the session cannot be refreshed: the app sends the user to the login page. */
let sessionExpiredHandler: () => void = () => undefined;
export function onSessionExpired(handler: () => void): void {
  sessionExpiredHandler = handler;
}

export function queryString(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

let refreshing: Promise<boolean> | null = null;

async function refreshSession(): Promise<boolean> {
  const session = currentSession();
  if (!session) return false;
  refreshing ??= (async () => {
    try {
      const response = await fetch("/v1/auth/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: session.refreshToken }),
      });
      if (!response.ok) return false;
      saveSession(sessionFromTokens((await response.json()) as TokenPair));
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const session = options.anonymous ? null : currentSession();
  if (session) headers.authorization = `Bearer ${session.accessToken}`;
  try {
    return await fetch(path + queryString(options.query), {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "network_error", "The API could not be reached. Check your connection.");
  }
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  let details: unknown;
  try {
    const body = (await response.json()) as { code?: string; message?: string; details?: unknown };
    code = body.code ?? code;
    message = body.message ?? message;
    details = body.details;
  } catch {
    // not JSON: keep the status text
  }
  return new ApiError(response.status, code, message, details);
}

/** A response that succeeded (2xx), refreshing the session once when the token has expired. */
export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  let response = await send(path, options);
  if (response.status === 401 && !options.anonymous) {
    if (await refreshSession()) response = await send(path, options);
    if (response.status === 401) {
      saveSession(null);
      sessionExpiredHandler();
    }
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

/** JSON from the API (undefined for 204). */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Every item of a cursor-paged listing, up to `max` items. */
export async function fetchAll<T>(path: string, query: Query = {}, max = 10_000): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await api<Page<T>>(path, { query: { ...query, cursor } });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

/** Download an authenticated file (CSV export) under the given name. */
export async function download(path: string, filename: string): Promise<void> {
  const blob = await (await request(path, { method: "GET" })).blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** An export job (see POST /v1/runs/{run_id}/exports and GET /v1/exports/{export_id}). */
export interface ExportJob {
  id: string;
  status: "queued" | "running" | "done" | "failed";
  error: string | null;
  filename: string;
  size_bytes: number | null;
  download_url: string | null;
  poll_after_seconds: number | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Have the server write an export (POST `path` with `body`), wait until it is done, then
 * let the browser download the file from its presigned URL: the file never passes through
 * the page's memory, whatever its size. `onStatus` hears the job's status while it waits. */
export async function exportAndDownload(
  path: string,
  body: unknown,
  onStatus?: (status: ExportJob["status"]) => void,
): Promise<ExportJob> {
  let job = await api<ExportJob>(path, { method: "POST", body });
  let wait = 250;
  while (job.status === "queued" || job.status === "running") {
    onStatus?.(job.status);
    await sleep(wait);
    wait = Math.min(wait * 2, (job.poll_after_seconds ?? 2) * 1000);
    job = await api<ExportJob>(`/v1/exports/${job.id}`);
  }
  if (job.status !== "done" || !job.download_url) {
    throw new ApiError(500, "export_failed", job.error ?? "The export failed.");
  }
  onStatus?.(job.status);
  // A navigation, not a fetch: the object answers as an attachment, so the page stays.
  const link = document.createElement("a");
  link.href = job.download_url;
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
  return job;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message; // ApiError included
  return String(error);
}
