// Where a run came from, as its SDK recorded it: the git commit (a link on known hosts), the dirty
// flag with a link to the diff, host, user, OS, Python, the command, the packages and the GPUs.
import { api, type Page } from "../api";
import { useAsync } from "../lib/hooks";
import { commandText, commitUrl, readProvenance, type Provenance } from "../lib/provenance";
import type { MediaItem } from "../types";

/** A link to one of the files the SDK uploaded beside the provenance (the diff, the package list). */
function ProvenanceFile({ runId, name, label, testId }: { runId: string; name: string; label: string; testId: string }) {
  const item = useAsync(
    () => api<Page<MediaItem>>(`/v1/runs/${runId}/media`, { query: { name, limit: 1 } }).then((page) => page.items[0] ?? null),
    [runId, name],
  );
  const url = item.data?.url;
  if (item.data === undefined && !item.error) return <span class="muted">{label}…</span>;
  if (!url) return <span class="muted" title={`${name}: not uploaded (yet)`}>{label} (not uploaded)</span>;
  return (
    <a href={url} target="_blank" rel="noopener noreferrer" data-testid={testId} title={item.data?.filename ?? name}>
      {label}
    </a>
  );
}

function Fact({ label, testId, children }: { label: string; testId: string; children: preact.ComponentChildren }) {
  return (
    <div data-testid={testId}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function GitFact({ runId, git }: { runId: string; git: NonNullable<Provenance["git"]> }) {
  const link = commitUrl(git.remote, git.commit);
  const short = git.commit?.slice(0, 10);
  return (
    <Fact label="Git" testId="provenance-git">
      {short &&
        (link ? (
          <a href={link} target="_blank" rel="noopener noreferrer" data-testid="provenance-commit" title={git.commit}>
            <code>{short}</code>
          </a>
        ) : (
          <code data-testid="provenance-commit" title={git.commit}>
            {short}
          </code>
        ))}
      {git.branch && <span class="muted"> on {git.branch}</span>}
      {git.remote && (
        <span class="muted provenance-remote" title={git.remote}>
          {" "}
          · {git.remote}
        </span>
      )}
      {git.dirty === true && (
        <span data-testid="provenance-dirty">
          {" "}
          · <span class="badge warn">dirty</span>{" "}
          {git.diff?.file && <ProvenanceFile runId={runId} name={git.diff.file} label={git.diff.truncated ? "diff (cut)" : "diff"} testId="provenance-diff" />}
        </span>
      )}
      {git.dirty === false && <span class="muted"> · clean</span>}
    </Fact>
  );
}

export function ProvenanceFacts({ runId, provenance: raw }: { runId: string; provenance: unknown }) {
  const provenance = readProvenance(raw);
  if (!provenance) return null;
  const { git, python, command, packages, gpu } = provenance;
  return (
    <details class="provenance" open data-testid="provenance">
      <summary>Provenance</summary>
      <dl class="run-facts">
        {git && <GitFact runId={runId} git={git} />}
        {provenance.host && (
          <Fact label="Host" testId="provenance-host">
            {provenance.host}
          </Fact>
        )}
        {provenance.user && (
          <Fact label="User" testId="provenance-user">
            {provenance.user}
          </Fact>
        )}
        {provenance.os && (
          <Fact label="OS" testId="provenance-os">
            {provenance.os}
          </Fact>
        )}
        {python?.version && (
          <Fact label="Python" testId="provenance-python">
            <span title={python.executable}>
              {python.version}
              {python.implementation && python.implementation !== "cpython" ? ` (${python.implementation})` : ""}
            </span>
          </Fact>
        )}
        {command?.argv && command.argv.length > 0 && (
          <Fact label="Command" testId="provenance-command">
            <code title={provenance.cwd ? `in ${provenance.cwd}` : undefined}>
              {commandText(command.argv)}
              {command.truncated ? ` … (${command.truncated} more)` : ""}
            </code>
          </Fact>
        )}
        {packages && (
          <Fact label="Packages" testId="provenance-packages">
            {packages.file ? (
              <ProvenanceFile runId={runId} name={packages.file} label={packages.count !== undefined ? `${packages.count} packages` : "package list"} testId="provenance-packages-file" />
            ) : (
              `${packages.count ?? "?"} packages`
            )}
          </Fact>
        )}
        {gpu && (gpu.count ?? 0) > 0 && (
          <Fact label="GPUs" testId="provenance-gpu">
            {gpu.count} × {[...new Set(gpu.models ?? [])].join(", ") || "GPU"}
          </Fact>
        )}
        {provenance.sdk?.version && (
          <Fact label="SDK" testId="provenance-sdk">
            {provenance.sdk.version}
          </Fact>
        )}
      </dl>
    </details>
  );
}
