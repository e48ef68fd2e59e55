// A project's runs: filters, sorting and columns in the URL or per project, live refresh, compare.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api } from "../api";
import type { PageProps } from "../app";
import { Empty, ErrorMessage, Loading, StatusBadge } from "../components/common";
import { ProjectCharts } from "../components/project_charts";
import { formatConfigValue, formatDuration, formatNumber, formatRelative, formatTime } from "../lib/format";
import { useAsync, usePolling } from "../lib/hooks";
import {
  allTags,
  BUILTIN_COLUMNS,
  cellValue,
  columnLabel,
  compareSelection,
  defaultColumns,
  discoverColumns,
  filterRows,
  formatSort,
  isActive,
  isNumericColumn,
  MAX_COMPARE,
  nextSort,
  parseColumnKey,
  parseSavedColumns,
  parseSort,
  sortRows,
  STATUS_FILTER_OPTIONS,
  toRows,
  type ColumnKey,
  type DiscoveredColumns,
  type KeyCount,
  type Row,
  type SortSpec,
} from "../lib/run_table";
import { href, navigate, updateQuery } from "../router";
import { fetchProjectRuns } from "../run_search";
import type { Project, Run, Workspace } from "../types";
import { useFollowWorkspace } from "../workspace";
import "../styles/accounts.css";
import "../styles/run_table.css";

const REFRESH_MS = 5000;

function columnsStorageKey(projectId: string): string {
  return `wavedb.runTable.columns.${projectId}`;
}

function loadColumns(projectId: string): ColumnKey[] | null {
  try {
    return parseSavedColumns(localStorage.getItem(columnsStorageKey(projectId)));
  } catch {
    return null;
  }
}

function saveColumns(projectId: string, columns: ColumnKey[] | null): void {
  try {
    if (columns) localStorage.setItem(columnsStorageKey(projectId), JSON.stringify(columns));
    else localStorage.removeItem(columnsStorageKey(projectId));
  } catch {
    // private mode or full storage: the choice lasts until reload
  }
}

function inputValue(event: Event): string {
  return (event.currentTarget as HTMLInputElement).value;
}

/** A running run's duration, ticking every second without re-rendering the whole table. */
function LiveDuration({ run }: { run: Run }) {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return <>{formatDuration(run.started_at ?? run.created_at, null, now)}</>;
}

function DurationCell({ run }: { run: Run }) {
  if (isActive(run.status) && !run.ended_at) {
    return (
      <td class="number" data-live="true">
        <LiveDuration run={run} />
      </td>
    );
  }
  const end = run.ended_at ?? run.heartbeat_at ?? run.updated_at;
  return <td class="number">{formatDuration(run.started_at ?? run.created_at, end)}</td>;
}

function ValueCell({ value, kind, numeric }: { value: unknown; kind: "config" | "summary"; numeric: boolean }) {
  if (value === undefined) return <td class={numeric ? "number missing" : "missing"}>–</td>;
  if (typeof value === "number") {
    return (
      <td class={numeric ? "number" : undefined} title={String(value)}>
        {formatNumber(value, kind === "config" ? 6 : 4)}
      </td>
    );
  }
  const text = formatConfigValue(value);
  return (
    <td class="text-cell" title={text}>
      {text}
    </td>
  );
}

function ColumnChooser({
  discovered,
  chosen,
  onChange,
  onReset,
}: {
  discovered: DiscoveredColumns;
  chosen: ColumnKey[];
  onChange: (columns: ColumnKey[]) => void;
  onReset: () => void;
}) {
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState("");
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return undefined;
    const onPointer = (event: MouseEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") setOpen(false);
    };
    document.addEventListener("mousedown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  const chosenSet = new Set(chosen);
  const toggle = (key: ColumnKey, checked: boolean) => {
    onChange(checked ? [...chosen.filter((item) => item !== key), key] : chosen.filter((item) => item !== key));
  };
  const needle = search.trim().toLowerCase();
  const group = (title: string, prefix: "config" | "summary", items: KeyCount[]) => {
    const shown = items.filter((item) => !needle || item.key.toLowerCase().includes(needle));
    return (
      <fieldset class="column-group">
        <legend>{title}</legend>
        {!shown.length && <span class="muted">{items.length ? "No match" : "None in these runs"}</span>}
        {shown.map((item) => {
          const key = `${prefix}:${item.key}`;
          return (
            <label key={key} class="column-option">
              <input
                type="checkbox"
                value={key}
                checked={chosenSet.has(key)}
                onChange={(event) => toggle(key, (event.currentTarget as HTMLInputElement).checked)}
                data-testid="column-option"
              />
              <span class="column-option-name">{item.key}</span>
              <span class="muted count">{item.count}</span>
            </label>
          );
        })}
      </fieldset>
    );
  };

  return (
    <div class="column-chooser" ref={root}>
      <button
        type="button"
        aria-expanded={open}
        aria-haspopup="true"
        onClick={() => setOpen(!open)}
        data-testid="column-chooser"
      >
        Columns ({chosen.length}) ▾
      </button>
      {open && (
        <div class="column-popover panel" role="group" aria-label="Choose columns" data-testid="column-popover">
          <div class="row">
            <input
              type="search"
              placeholder="Find a key…"
              aria-label="Find a column"
              value={search}
              onInput={(event) => setSearch(inputValue(event))}
              autoFocus
            />
            <button type="button" class="link" onClick={onReset} data-testid="column-reset">
              Defaults
            </button>
          </div>
          <div class="column-groups">
            {group("Summary (a result, else the metric's last value)", "summary", discovered.summary)}
            {group("Config", "config", discovered.config)}
          </div>
        </div>
      )}
    </div>
  );
}

function HeaderCell({
  columnKey,
  sort,
  onSort,
  className,
}: {
  columnKey: ColumnKey;
  sort: SortSpec | null;
  onSort: (key: ColumnKey) => void;
  className?: string;
}) {
  const active = sort?.key === columnKey;
  const ariaSort = active ? (sort.direction === "asc" ? "ascending" : "descending") : "none";
  const { kind, name } = parseColumnKey(columnKey);
  return (
    <th
      scope="col"
      class={`sortable col-${kind}${className ? ` ${className}` : ""}`}
      aria-sort={ariaSort}
      data-testid="column-header"
      data-key={columnKey}
      onClick={() => onSort(columnKey)}
      title={kind === "builtin" ? undefined : `${kind}: ${name}`}
    >
      <button type="button" class="sort-button">
        {kind !== "builtin" && <span class="col-kind">{kind === "config" ? "config" : "summary"}</span>}
        <span class="col-name">{columnLabel(columnKey)}</span>
        <span class="sort-arrow" aria-hidden="true">
          {active ? (sort.direction === "asc" ? "▲" : "▼") : ""}
        </span>
      </button>
    </th>
  );
}

function RunRow({
  row,
  columns,
  numericColumns,
  selected,
  onSelect,
}: {
  row: Row;
  columns: ColumnKey[];
  numericColumns: ReadonlySet<ColumnKey>;
  selected: boolean;
  onSelect: (id: string, checked: boolean) => void;
}) {
  const { run } = row;
  return (
    <tr data-testid="run-row" data-run-id={run.id} data-status={run.status} class={selected ? "selected" : undefined}>
      <td class="select-cell">
        <input
          type="checkbox"
          checked={selected}
          aria-label={`Select ${run.name}`}
          onChange={(event) => onSelect(run.id, (event.currentTarget as HTMLInputElement).checked)}
          data-testid="run-select"
        />
      </td>
      <td>
        <StatusBadge status={run.status} />
      </td>
      <td class="name-cell">
        <a href={href(`/runs/${run.id}`)} data-testid="run-link" title={run.description || run.name}>
          {run.name}
        </a>
      </td>
      <td class="tags-cell">
        {run.tags.map((tag) => (
          <span class="tag" key={tag}>
            {tag}
          </span>
        ))}
      </td>
      <td title={formatTime(run.created_at)} class="nowrap">
        {formatRelative(run.created_at)}
      </td>
      <DurationCell run={run} />
      {columns.map((key) => {
        const kind = parseColumnKey(key).kind === "config" ? "config" : "summary";
        return <ValueCell key={key} value={cellValue(row, key, 0)} kind={kind} numeric={numericColumns.has(key)} />;
      })}
    </tr>
  );
}

function SelectAll({ visibleIds, selected, onChange }: { visibleIds: string[]; selected: ReadonlySet<string>; onChange: (checked: boolean) => void }) {
  const ref = useRef<HTMLInputElement>(null);
  const count = visibleIds.filter((id) => selected.has(id)).length;
  const all = visibleIds.length > 0 && count === visibleIds.length;
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = count > 0 && !all;
  }, [count, all]);
  return (
    <input
      ref={ref}
      type="checkbox"
      checked={all}
      disabled={!visibleIds.length}
      aria-label="Select all shown runs"
      onChange={(event) => onChange((event.currentTarget as HTMLInputElement).checked)}
      data-testid="run-select-all"
    />
  );
}

function NoRuns({ project, workspace }: { project: Project | undefined; workspace: Workspace | undefined }) {
  const name = project?.name ?? "my-project";
  const workspaceArg = workspace && !workspace.is_personal ? `, workspace=${JSON.stringify(workspace.name)}` : "";
  return (
    <Empty>
      <p>No runs in this project yet. Log one with the SDK:</p>
      <pre class="snippet">
        <code>
          {[
            "pip install ./sdk",
            `wavedb login --api-url ${window.location.origin}`,
            "",
            "import wavedb",
            `run = wavedb.init(project=${JSON.stringify(name)}${workspaceArg}, config={"lr": 3e-4})`,
            'run.log({"loss": 0.5})',
            "run.finish()",
          ].join("\n")}
        </code>
      </pre>
    </Empty>
  );
}

export function RunTablePage({ params, query }: PageProps) {
  const projectId = params.projectId;
  const project = useAsync(() => api<Project>(`/v1/projects/${projectId}`), [projectId]);
  const workspaceId = project.data?.workspace_id;
  const workspace = useAsync(
    () => (workspaceId ? api<Workspace>(`/v1/workspaces/${workspaceId}`) : Promise.resolve(undefined)),
    [workspaceId],
  );
  const loadRuns = () => fetchProjectRuns(projectId);
  const runs = useAsync(loadRuns, [projectId]);
  // The top bar's workspace switcher follows the project's workspace (links shared from another one).
  useFollowWorkspace(workspaceId);
  const [refreshError, setRefreshError] = useState<unknown>(null);
  const [refreshedAt, setRefreshedAt] = useState<number | null>(null);
  const [savedColumns, setSavedColumns] = useState<ColumnKey[] | null>(() => loadColumns(projectId));
  const [selected, setSelected] = useState<Set<string>>(() => new Set());

  const filters = {
    name: query.get("name") ?? "",
    status: query.get("status") ?? "",
    tag: query.get("tag") ?? "",
    query: query.get("q") ?? "",
  };
  const sort = parseSort(query.get("sort"));

  const anyActive = runs.data?.some((run) => isActive(run.status)) ?? false;
  usePolling(
    async () => {
      try {
        runs.setData(await loadRuns());
        setRefreshError(null);
        setRefreshedAt(Date.now());
      } catch (caught) {
        setRefreshError(caught);
      }
    },
    REFRESH_MS,
    anyActive,
  );

  const rows = useMemo(() => toRows(runs.data ?? []), [runs.data]);
  const discovered = useMemo(() => discoverColumns(rows), [rows]);
  const tags = useMemo(() => allTags(rows), [rows]);
  const chosenColumns = savedColumns ?? defaultColumns(discovered);
  const columns = useMemo(() => {
    const known = new Set([
      ...discovered.config.map((item) => `config:${item.key}`),
      ...discovered.summary.map((item) => `summary:${item.key}`),
    ]);
    return chosenColumns.filter((key) => known.has(key));
  }, [chosenColumns.join("\u0000"), discovered]);
  const numericColumns = useMemo(() => new Set(columns.filter((key) => isNumericColumn(rows, key))), [columns, rows]);
  const filtered = useMemo(
    () => filterRows(rows, filters, discovered),
    [rows, discovered, filters.name, filters.status, filters.tag, filters.query],
  );
  const sorted = useMemo(
    () => sortRows(filtered.rows, sort, Date.now()),
    [filtered, sort?.key, sort?.direction, sort?.key === "duration" ? runs.data : null],
  );
  const visibleIds = useMemo(() => sorted.map((row) => row.run.id), [sorted]);
  const visibleRuns = useMemo(() => sorted.map((row) => row.run), [sorted]);
  const showCharts = query.get("charts") === "1";

  // Forget selected runs that no longer exist (deleted elsewhere); keep the rest across refreshes.
  useEffect(() => {
    if (!runs.data) return;
    const ids = new Set(runs.data.map((run) => run.id));
    setSelected((current) => {
      const kept = [...current].filter((id) => ids.has(id));
      return kept.length === current.size ? current : new Set(kept);
    });
  }, [runs.data]);

  const comparison = compareSelection(selected, visibleIds);
  const filtersActive = Boolean(filters.name || filters.status || filters.tag || filters.query);

  const setColumns = (next: ColumnKey[] | null) => {
    setSavedColumns(next);
    saveColumns(projectId, next);
  };
  const clearFilters = () => updateQuery({ name: undefined, status: undefined, tag: undefined, q: undefined });
  const onSort = (key: ColumnKey) => updateQuery({ sort: formatSort(nextSort(sort, key)) });
  const onSelect = (id: string, checked: boolean) => {
    setSelected((current) => {
      const next = new Set(current);
      if (checked) next.add(id);
      else next.delete(id);
      return next;
    });
  };
  const onSelectAll = (checked: boolean) => {
    setSelected((current) => {
      const next = new Set(current);
      for (const id of visibleIds) {
        if (checked) next.add(id);
        else next.delete(id);
      }
      return next;
    });
  };

  const title = project.data?.name ?? "Runs";
  useEffect(() => {
    document.title = `${title} · WaveDB`;
  }, [title]);

  return (
    <div class="run-table-page">
      <div class="breadcrumb">
        {workspace.data ? <a href={href(`/workspaces/${workspace.data.id}`)}>{workspace.data.name}</a> : <span>&nbsp;</span>}
      </div>
      <div class="page-header">
        <h1 data-testid="project-name">{title}</h1>
        {project.data?.description && <span class="muted">{project.data.description}</span>}
        <span class="spacer" />
        {runs.data && (
          <span class="muted run-count" data-testid="run-count">
            {filtersActive ? `${sorted.length} of ${rows.length} runs` : `${rows.length} run${rows.length === 1 ? "" : "s"}`}
          </span>
        )}
        {anyActive && (
          <span class="live-note muted" title={refreshedAt ? `Updated ${formatTime(new Date(refreshedAt).toISOString())}` : undefined}>
            <span class="pulse" aria-hidden="true" /> live, refreshing every {REFRESH_MS / 1000} s
          </span>
        )}
      </div>
      {!runs.error && <ErrorMessage error={project.error} onRetry={project.reload} />}

      <div class="toolbar run-toolbar" role="search">
        <label class="filter">
          <span class="visually-hidden">Name contains</span>
          <input
            type="search"
            placeholder="Name contains…"
            value={filters.name}
            onInput={(event) => updateQuery({ name: inputValue(event) || undefined })}
            data-testid="filter-name"
          />
        </label>
        <label class="filter">
          <span class="visually-hidden">Status</span>
          <select
            value={filters.status}
            onChange={(event) => updateQuery({ status: (event.currentTarget as HTMLSelectElement).value || undefined })}
            data-testid="filter-status"
          >
            {STATUS_FILTER_OPTIONS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        <label class="filter">
          <span class="visually-hidden">Tag</span>
          <input
            type="search"
            placeholder="Tag…"
            list="run-table-tags"
            value={filters.tag}
            onInput={(event) => updateQuery({ tag: inputValue(event) || undefined })}
            data-testid="filter-tag"
          />
          <datalist id="run-table-tags">
            {tags.map((tag) => (
              <option key={tag} value={tag} />
            ))}
          </datalist>
        </label>
        <label class="filter filter-query">
          <span class="visually-hidden">Query on config and summary</span>
          <input
            type="search"
            placeholder="Query, e.g. lr>0.01 optimizer=adam loss<0.5"
            title="Space-separated conditions on config keys and summary values: key=value, !=, <, <=, >, >=. Nested config keys with dots (model.layers>4); quote values with spaces."
            value={filters.query}
            aria-invalid={filtered.errors.length > 0}
            aria-describedby={filtered.errors.length ? "filter-query-errors" : undefined}
            spellcheck={false}
            autoCapitalize="off"
            onInput={(event) => updateQuery({ q: inputValue(event) || undefined })}
            data-testid="filter-query"
          />
        </label>
        {filtersActive && (
          <button type="button" class="link" onClick={clearFilters} data-testid="filter-clear">
            Clear filters
          </button>
        )}
        <span class="spacer" />
        <button
          type="button"
          aria-expanded={showCharts}
          onClick={() => updateQuery({ charts: showCharts ? undefined : "1" })}
          data-testid="project-charts-toggle"
        >
          Charts {showCharts ? "▴" : "▾"}
        </button>
        <ColumnChooser discovered={discovered} chosen={columns} onChange={setColumns} onReset={() => setColumns(null)} />
        {selected.size > 0 && (
          <button type="button" class="link" onClick={() => setSelected(new Set())} data-testid="selection-clear">
            Clear selection
          </button>
        )}
        <button
          type="button"
          class="primary"
          disabled={comparison.problem !== null}
          title={comparison.problem ?? `Compare ${comparison.ids.length} runs`}
          onClick={() => navigate("/compare", { runs: comparison.ids.join(",") })}
          data-testid="compare-button"
        >
          Compare ({selected.size})
        </button>
      </div>
      {filtered.errors.length > 0 && (
        <div class="message error query-errors" id="filter-query-errors" role="status" data-testid="filter-query-error">
          <ul>
            {filtered.errors.map((error) => (
              <li key={error}>{error}</li>
            ))}
          </ul>
        </div>
      )}
      {selected.size > MAX_COMPARE && (
        <div class="message info" role="status">
          <span>
            {selected.size} runs selected: compare takes at most {MAX_COMPARE}.
          </span>
        </div>
      )}
      {refreshError !== null && runs.data && (
        <ErrorMessage error={refreshError} />
      )}

      {showCharts && runs.data && rows.length > 0 && <ProjectCharts projectId={projectId} visibleRuns={visibleRuns} />}

      {runs.error && !runs.data ? (
        <ErrorMessage
          error={runs.error}
          onRetry={() => {
            void project.reload();
            void runs.reload();
          }}
        />
      ) : !runs.data ? (
        <Loading label="Loading runs…" />
      ) : !rows.length ? (
        <NoRuns project={project.data} workspace={workspace.data} />
      ) : (
        <div class="table-scroll run-table-scroll">
          <table class="data run-table" data-testid="run-table">
            <thead>
              <tr>
                <th scope="col" class="select-cell">
                  <SelectAll visibleIds={visibleIds} selected={selected} onChange={onSelectAll} />
                </th>
                {BUILTIN_COLUMNS.map((key) => (
                  <HeaderCell key={key} columnKey={key} sort={sort} onSort={onSort} className={key === "duration" ? "number" : undefined} />
                ))}
                {columns.map((key) => (
                  <HeaderCell key={key} columnKey={key} sort={sort} onSort={onSort} className={numericColumns.has(key) ? "number" : undefined} />
                ))}
              </tr>
            </thead>
            <tbody>
              {sorted.map((row) => (
                <RunRow key={row.run.id} row={row} columns={columns} numericColumns={numericColumns} selected={selected.has(row.run.id)} onSelect={onSelect} />
              ))}
            </tbody>
          </table>
          {!sorted.length && (
            <div class="empty no-match" data-testid="run-table-empty">
              No runs match these filters.{" "}
              <button type="button" class="link" onClick={clearFilters}>
                Clear filters
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
