// A run's provenance as its SDK recorded it (GET /v1/runs/{id} `provenance`), read defensively
// (any key may be missing or of another shape), and links to the commit on known hosts.

export interface GitProvenance {
  commit?: string;
  branch?: string;
  remote?: string;
  dirty?: boolean;
  diff?: { file?: string; truncated?: boolean };
}

export interface Provenance {
  sdk?: { version?: string };
  host?: string;
  user?: string;
  os?: string;
  cwd?: string;
  python?: { version?: string; implementation?: string; executable?: string };
  command?: { argv?: string[]; truncated?: number };
  git?: GitProvenance;
  packages?: { count?: number; file?: string };
  gpu?: { count?: number; models?: string[] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value ? value : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function texts(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : undefined;
}

/** The provenance object with only the keys of the expected types (null when there is none). */
export function readProvenance(raw: unknown): Provenance | null {
  if (!isObject(raw)) return null;
  const found: Provenance = {};
  if (isObject(raw.sdk) && text(raw.sdk.version)) found.sdk = { version: text(raw.sdk.version) };
  for (const key of ["host", "user", "os", "cwd"] as const) {
    const value = text(raw[key]);
    if (value) found[key] = value;
  }
  if (isObject(raw.python)) {
    found.python = { version: text(raw.python.version), implementation: text(raw.python.implementation), executable: text(raw.python.executable) };
  }
  if (isObject(raw.command) && texts(raw.command.argv)) {
    found.command = { argv: texts(raw.command.argv), truncated: count(raw.command.truncated) };
  }
  if (isObject(raw.git)) {
    const git = raw.git;
    found.git = {
      commit: text(git.commit),
      branch: text(git.branch),
      remote: text(git.remote),
      dirty: typeof git.dirty === "boolean" ? git.dirty : undefined,
      diff: isObject(git.diff) ? { file: text(git.diff.file), truncated: git.diff.truncated === true } : undefined,
    };
  }
  if (isObject(raw.packages)) found.packages = { count: count(raw.packages.count), file: text(raw.packages.file) };
  if (isObject(raw.gpu)) found.gpu = { count: count(raw.gpu.count), models: texts(raw.gpu.models) };
  return Object.keys(found).length ? found : null;
}

/** Hosts whose commit pages we know, and the path of a commit on each. */
const COMMIT_PATHS: Record<string, (repository: string, commit: string) => string> = {
  "github.com": (repository, commit) => `${repository}/commit/${commit}`,
  "gitlab.com": (repository, commit) => `${repository}/-/commit/${commit}`,
  "bitbucket.org": (repository, commit) => `${repository}/commits/${commit}`,
  "codeberg.org": (repository, commit) => `${repository}/commit/${commit}`,
};

/** `git@github.com:o/r.git`, `ssh://git@github.com/o/r`, `https://github.com/o/r.git` → host and `o/r`. */
export function parseRemote(remote: string): { host: string; repository: string } | null {
  const trimmed = remote.trim();
  const scp = /^[\w.-]+@([\w.-]+):(?!\/)(.+)$/.exec(trimmed);
  let host: string;
  let path: string;
  if (scp) {
    [, host, path] = scp;
  } else {
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      return null;
    }
    if (!["https:", "http:", "ssh:", "git:"].includes(url.protocol)) return null;
    host = url.hostname;
    path = url.pathname;
  }
  const repository = path.replace(/^\/+/, "").replace(/\/+$/, "").replace(/\.git$/, "");
  if (!/^[\w.-]+(\/[\w.-]+)+$/.test(repository)) return null;
  return { host: host.toLowerCase(), repository };
}

/** The commit's page on a known host (GitHub, GitLab, Bitbucket, Codeberg), or null. */
export function commitUrl(remote: string | undefined, commit: string | undefined): string | null {
  if (!remote || !commit || !/^[0-9a-f]{7,64}$/i.test(commit)) return null;
  const parsed = parseRemote(remote);
  if (!parsed) return null;
  const path = COMMIT_PATHS[parsed.host];
  return path ? `https://${parsed.host}/${path(parsed.repository, commit)}` : null;
}

/** A command line as one could type it again (arguments with spaces or quotes quoted). */
export function commandText(argv: readonly string[]): string {
  return argv.map((argument) => (/^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, "'\\''")}'`)).join(" ");
}
