// `#/runs/:runId`: the run's header (name, status, tags, notes), its charts (live while it runs),
// its media and its config & summary.
import { useMemo, useState } from "preact/hooks";
import type { PageProps } from "../app";
import { ApiError, api, describeError, exportAndDownload } from "../api";
import { MetricSearch } from "../components/chart_controls";
import { Empty, ErrorMessage, Loading, StatusBadge } from "../components/common";
import { MediaGallery } from "../components/media";
import { ProvenanceFacts } from "../components/provenance";
import { PanelGrid } from "../components/panel_grid";
import { flattenConfig } from "../lib/compare";
import { formatConfigValue, formatDuration, formatNumber, formatRelative, formatTime } from "../lib/format";
import { useAction, useAsync } from "../lib/hooks";
import { useLivePolling } from "../components/live";
import { isActive } from "../lib/run_table";
import { EMPTY_LAYOUT, MAX_PANELS, defaultLayout, defaultXAxis, freshPanelId, newPanel, isSystemMetric, panelMetrics, panelsFor, type Panel } from "../lib/layout";
import { filterMetrics } from "../lib/series";
import { useProjectLayout } from "../layout_api";
import { href, updateQuery } from "../router";
import type { MetricSummary, Project, Run } from "../types";
import { useFollowWorkspace } from "../workspace";
import "../styles/run.css";

type Tab = "charts" | "media" | "config";
const TABS: { id: Tab; label: string }[] = [
  { id: "charts", label: "Charts" },
  { id: "media", label: "Media" },
  { id: "config", label: "Config & summary" },
];

export function RunPage({ params, query }: PageProps) {
  const runId = params.runId;
  const loadRun = () => api<Run>(`/v1/runs/${runId}`);
  const loadMetrics = () => api<{ items: MetricSummary[] }>(`/v1/runs/${runId}/metrics`);
  const run = useAsync(loadRun, [runId]);
  const metrics = useAsync(loadMetrics, [runId]);
  const projectId = run.data?.project_id;
  const project = useAsync(
    () => (projectId ? api<Project>(`/v1/projects/${projectId}`) : Promise.resolve(undefined)),
    [projectId],
  );
  const [pollCount, setPollCount] = useState(0);
  const live = run.data !== undefined && isActive(run.data.status);

  useLivePolling(
    async () => {
      const [nextRun, nextMetrics] = await Promise.all([loadRun(), loadMetrics()]);
      run.setData(nextRun);
      metrics.setData(nextMetrics);
      setPollCount((count) => count + 1);
    },
    live,
  );

  const tabParam = query.get("tab");
  const tab: Tab = tabParam === "media" || tabParam === "config" ? tabParam : "charts";
  // A shared run link opens in the run's workspace (the switcher follows).
  useFollowWorkspace(run.data?.workspace_id);

  if (run.error && !run.data) {
    if (run.error instanceof ApiError && (run.error.status === 404 || run.error.status === 422)) {
      return (
        <div class="message error" role="alert" data-testid="error-message">
          <span>
            This run does not exist or is not visible to you. <a href="#/">Go to your projects</a>.
          </span>
        </div>
      );
    }
    return <ErrorMessage error={run.error} onRetry={run.reload} />;
  }
  if (!run.data) return <Loading label="Loading run…" />;
  const current = run.data;

  const patch = async (body: Partial<Pick<Run, "name" | "tags" | "notes">>) => {
    const updated = await api<Run>(`/v1/runs/${runId}`, { method: "PATCH", body });
    run.setData({ ...updated, summary: updated.summary ?? current.summary });
  };

  return (
    <div class="run-page">
      <RunHeader run={current} projectName={project.data?.name} onPatch={patch} live={live} />
      <div class="tabs" role="tablist" aria-label="Run views">
        {TABS.map((item) => (
          <button
            key={item.id}
            type="button"
            role="tab"
            aria-selected={tab === item.id}
            class={tab === item.id ? "tab active" : "tab"}
            data-testid={`tab-${item.id}`}
            onClick={() => updateQuery({ tab: item.id === "charts" ? undefined : item.id })}
          >
            {item.label}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === "charts" && (
          <ChartsTab
            run={current}
            metrics={metrics.data?.items}
            error={metrics.error}
            reload={metrics.reload}
            search={query.get("q") ?? ""}
          />
        )}
        {tab === "media" && <MediaGallery runId={runId} refreshKey={pollCount} />}
        {tab === "config" && <ConfigTab run={current} metrics={metrics.data?.items} />}
      </div>
    </div>
  );
}

function RunHeader({ run, projectName, onPatch, live }: { run: Run; projectName?: string; onPatch: (body: Partial<Pick<Run, "name" | "tags" | "notes">>) => Promise<void>; live: boolean }) {
  const [editing, setEditing] = useState(false);
  const [nameDraft, setNameDraft] = useState(run.name);
  const [error, setError] = useState<unknown>(null);

  const saveName = async () => {
    const name = nameDraft.trim();
    if (!name || name === run.name) {
      setEditing(false);
      return;
    }
    try {
      await onPatch({ name });
      setEditing(false);
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <header class="run-header panel">
      <div class="run-title">
        {editing ? (
          <form
            class="row"
            onSubmit={(event) => {
              event.preventDefault();
              void saveName();
            }}
          >
            <label class="visually-hidden" for="run-name-input">
              Run name
            </label>
            <input
              id="run-name-input"
              data-testid="run-name-input"
              value={nameDraft}
              maxLength={200}
              onInput={(event) => setNameDraft((event.target as HTMLInputElement).value)}
              onKeyDown={(event) => {
                if (event.key === "Escape") setEditing(false);
              }}
              autoFocus
            />
            <button type="submit" class="primary">
              Save
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <h1 data-testid="run-name">{run.name}</h1>
        )}
        {!editing && (
          <button
            type="button"
            class="link edit-name"
            aria-label="Rename run"
            title="Rename run"
            onClick={() => {
              setNameDraft(run.name);
              setEditing(true);
            }}
          >
            ✎
          </button>
        )}
        <StatusBadge status={run.status} />
      </div>
      <ErrorMessage error={error} />
      <dl class="run-facts">
        <div>
          <dt>Project</dt>
          <dd>
            <a href={href(`/projects/${run.project_id}`)} data-testid="project-link-back">
              {projectName ?? "project"}
            </a>
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd title={run.created_at}>{formatTime(run.created_at)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(run.started_at ?? run.created_at, run.ended_at)}</dd>
        </div>
        {live ? (
          <div data-testid="run-heartbeat">
            <dt>Heartbeat</dt>
            <dd title={run.heartbeat_at ?? ""}>
              {formatRelative(run.heartbeat_at)}
              <span class="muted"> · refreshing every 3 s</span>
            </dd>
          </div>
        ) : (
          run.ended_at && (
            <div data-testid="run-ended">
              <dt>Ended</dt>
              <dd title={run.ended_at}>{formatTime(run.ended_at)}</dd>
            </div>
          )
        )}
        <div>
          <dt>Id</dt>
          <dd>
            <code class="run-id">{run.id}</code>
          </dd>
        </div>
      </dl>
      <ProvenanceFacts runId={run.id} provenance={run.provenance} />
      {run.description && <p class="run-description">{run.description}</p>}
      <TagsEditor tags={run.tags} onChange={(tags) => onPatch({ tags })} />
      <NotesEditor notes={run.notes} onSave={(notes) => onPatch({ notes })} />
    </header>
  );
}

function TagsEditor({ tags, onChange }: { tags: string[]; onChange: (tags: string[]) => Promise<void> }) {
  const [draft, setDraft] = useState("");
  const { run: apply, busy, error } = useAction(onChange, { clearError: "on-success" });
  const add = async () => {
    const tag = draft.trim();
    if (!tag) return;
    if (tags.includes(tag)) {
      setDraft("");
      return;
    }
    if (await apply([...tags, tag])) setDraft("");
  };
  return (
    <div class="run-tags">
      <span class="muted">Tags</span>
      {tags.map((tag) => (
        <span class="tag" data-testid="tag" key={tag}>
          {tag}
          <button type="button" class="tag-remove" data-testid="tag-remove" aria-label={`Remove tag ${tag}`} disabled={busy} onClick={() => void apply(tags.filter((item) => item !== tag))}>
            ×
          </button>
        </span>
      ))}
      <input
        data-testid="tag-input"
        aria-label="Add a tag (Enter)"
        placeholder="add tag ⏎"
        value={draft}
        maxLength={64}
        onInput={(event) => setDraft((event.target as HTMLInputElement).value)}
        onKeyDown={(event) => {
          if (event.key === "Enter") {
            event.preventDefault();
            void add();
          }
        }}
      />
      {error !== null && <span class="inline-error" role="alert">{describeError(error)}</span>}
    </div>
  );
}

function NotesEditor({ notes, onSave }: { notes: string; onSave: (notes: string) => Promise<void> }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [state, setState] = useState<"idle" | "saving" | "saved">("idle");
  const [error, setError] = useState<unknown>(null);
  const value = draft ?? notes;
  const dirty = draft !== null && draft !== notes;
  const save = async () => {
    setState("saving");
    try {
      await onSave(value);
      setDraft(null);
      setError(null);
      setState("saved");
      setTimeout(() => setState("idle"), 2000);
    } catch (caught) {
      setError(caught);
      setState("idle");
    }
  };
  return (
    <div class="run-notes">
      <label for="run-notes" class="muted">
        Notes
      </label>
      <textarea
        id="run-notes"
        data-testid="notes-input"
        rows={Math.min(8, Math.max(2, value.split("\n").length))}
        placeholder="What is this run about? What did you learn?"
        value={value}
        onInput={(event) => setDraft((event.target as HTMLTextAreaElement).value)}
        onKeyDown={(event) => {
          if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) void save();
        }}
      />
      <div class="row">
        <button type="button" data-testid="notes-save" disabled={state === "saving"} onClick={() => void save()}>
          {state === "saving" ? "Saving…" : "Save notes"}
        </button>
        {state === "saved" && <span class="muted">Saved</span>}
        {dirty && state === "idle" && <span class="muted">Unsaved changes (Ctrl+Enter saves)</span>}
        {error !== null && <span class="inline-error" role="alert">{describeError(error)}</span>}
      </div>
    </div>
  );
}

function ChartsTab({ run, metrics, error, reload, search }: { run: Run; metrics: MetricSummary[] | undefined; error: unknown; reload: () => void; search: string }) {
  const { layout, error: layoutError, saveState, saveError, change } = useProjectLayout(run.project_id);
  const [adding, setAdding] = useState<Panel | null>(null);
  const names = useMemo(() => (metrics ?? []).map((metric) => metric.name), [metrics]);
  const custom = (layout?.panels.length ?? 0) > 0;
  const panels = useMemo(() => (custom && layout ? layout.panels : defaultLayout(names).panels), [custom, layout, names]);
  const unplaced = useMemo(() => {
    const drawn = new Set(panels.flatMap((panel) => panelMetrics(panel, names)));
    return names.filter((name) => !drawn.has(name));
  }, [custom, panels, names]);
  const setPanels = (next: Panel[]) => change({ ...(layout ?? EMPTY_LAYOUT), panels: next });

  const [exportStatus, setExportStatus] = useState<string>("queued");
  const { run: csv, busy: downloading, error: downloadError } = useAction(
    // Through an export job: a run of any size, written by the server, then downloaded.
    async () => {
      await exportAndDownload(`/v1/runs/${run.id}/exports`, { kind: "run_metrics_long" }, setExportStatus);
    },
    { clearError: "on-success" },
  );

  return (
    <section class="charts-tab">
      <div class="toolbar charts-toolbar">
        <MetricSearch search={search} class="metric-search" />
        <button
          type="button"
          data-testid="add-panel"
          disabled={!metrics || adding !== null || panels.length >= MAX_PANELS}
          onClick={() => {
            const first = filterMetrics(names, search).slice(0, 1);
            setAdding(newPanel({ id: freshPanelId(panels), metrics: first, x_axis: defaultXAxis(first) }));
          }}
        >
          Add panel
        </button>
        {custom && (
          <button type="button" data-testid="reset-layout" title="One panel per metric again" onClick={() => change(EMPTY_LAYOUT)}>
            Reset layout
          </button>
        )}
        <span class="muted layout-status" data-testid="layout-status" data-state={saveState}>
          {saveState === "saving" ? "Saving layout…" : saveState === "saved" ? "Layout saved" : custom ? "Your layout" : ""}
        </span>
        <span class="spacer" />
        <button type="button" data-testid="download-csv" onClick={() => void csv()} disabled={downloading}>
          {downloading ? (exportStatus === "running" ? "Writing CSV…" : "Preparing CSV…") : "Download CSV"}
        </button>
      </div>
      <ErrorMessage error={downloadError} />
      <ErrorMessage error={saveError} />
      {layoutError !== undefined && !layout && <ErrorMessage error={layoutError} />}
      {unplaced.length > 0 && (
        <p class="muted" data-testid="unplaced-metrics">
          {unplaced.length} {unplaced.every(isSystemMetric) ? "system " : ""}metric{unplaced.length === 1 ? " is" : "s are"} in no panel.{" "}
          <button type="button" class="link" data-testid="place-metrics" onClick={() => setPanels([...panels, ...panelsFor(unplaced).filter((panel) => !panels.some((other) => other.id === panel.id))])}>
            Add a panel for each
          </button>
        </p>
      )}
      {error && !metrics ? (
        <ErrorMessage error={error} onRetry={reload} />
      ) : !metrics || (!layout && layoutError === undefined) ? (
        <Loading label="Loading metrics…" />
      ) : metrics.length === 0 ? (
        <Empty>
          No metrics logged yet.{" "}
          {isActive(run.status) ? "This page updates by itself as the run logs them." : "Log some with run.log({\"loss\": 0.5}, step=1)."}
        </Empty>
      ) : (
        <PanelGrid runId={run.id} metrics={metrics} panels={panels} onChange={setPanels} search={search} adding={adding} onAdded={() => setAdding(null)} />
      )}
    </section>
  );
}

function ConfigTab({ run, metrics }: { run: Run; metrics: MetricSummary[] | undefined }) {
  const config = useMemo(() => Object.entries(flattenConfig(run.config)).sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true })), [run.config]);
  const results = Object.entries(run.summary?.results ?? {});
  const summaryRows = metrics ?? Object.entries(run.summary?.metrics ?? {}).map(([name, digest]) => ({ name, ...digest, first_step: null, last_logged_at: null }));
  return (
    <div class="config-tab">
      <section>
        <h2>Config</h2>
        {config.length === 0 ? (
          <Empty>No config. Pass one with wavedb.init(config={"{"}"lr": 0.001{"}"}).</Empty>
        ) : (
          <div class="table-scroll">
            <table class="data" data-testid="config-table">
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Value</th>
                </tr>
              </thead>
              <tbody>
                {config.map(([key, value]) => (
                  <tr key={key} data-key={key}>
                    <td>
                      <code>{key}</code>
                    </td>
                    <td class="config-value">{formatConfigValue(value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <p class="muted vocabulary" data-testid="summary-vocabulary">
        A run's summary is its metrics' last, min and max values and its results. Where a result and a metric share a
        name, the run table's summary column shows the result.
      </p>
      <section>
        <h2>Metrics</h2>
        {summaryRows.length === 0 ? (
          <Empty>No metrics logged yet.</Empty>
        ) : (
          <div class="table-scroll">
            <table class="data" data-testid="summary-table">
              <thead>
                <tr>
                  <th scope="col">Metric</th>
                  <th scope="col" class="number">Last</th>
                  <th scope="col" class="number">Min</th>
                  <th scope="col" class="number">Max</th>
                  <th scope="col" class="number">Count</th>
                  <th scope="col" class="number">Last step</th>
                </tr>
              </thead>
              <tbody>
                {summaryRows.map((metric) => (
                  <tr key={metric.name} data-metric={metric.name}>
                    <td>
                      <code>{metric.name}</code>
                    </td>
                    <td class="number">{formatNumber(metric.last)}</td>
                    <td class="number">{formatNumber(metric.min)}</td>
                    <td class="number">{formatNumber(metric.max)}</td>
                    <td class="number">{formatNumber(metric.count)}</td>
                    <td class="number">{metric.last_step ?? "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section>
        <h2>Results</h2>
        {results.length === 0 ? (
          <Empty>No results. Record final values from the SDK: run.summary["accuracy"] = 0.93.</Empty>
        ) : (
          <div class="table-scroll">
            <table class="data" data-testid="results-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" class="number">Value</th>
                </tr>
              </thead>
              <tbody>
                {results.map(([name, value]) => (
                  <tr key={name}>
                    <td>
                      <code>{name}</code>
                    </td>
                    <td class="number">{formatNumber(value, 6)}</td>
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
