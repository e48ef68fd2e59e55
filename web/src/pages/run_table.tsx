// A project's runs: filters, sorting and columns in the URL or per project, live refresh, compare,
// and charts of the runs shown. The state lives in run_table_state.ts, the pieces of the table in
// components/run_table_parts.tsx; this page lays them out.
import { useEffect, useRef } from "preact/hooks";
import type { PageProps } from "../app";
import { ErrorMessage, Loading } from "../components/common";
import { ProjectCharts } from "../components/project_charts";
import { ColumnChooser, HeaderCell, NoRuns, RunRow, SelectAll, SpacerRow, inputValue, useRowWindow } from "../components/run_table_parts";
import { formatTime } from "../lib/format";
import { BUILTIN_COLUMNS, MAX_COMPARE, STATUS_FILTER_OPTIONS } from "../lib/run_table";
import { parseChartSettings } from "../lib/series";
import { href, navigate, updateQuery } from "../router";
import { serverSortField } from "../run_search";
import { REFRESH_MS, useRunTableState } from "./run_table_state";
import "../styles/accounts.css";
import "../styles/run_table.css";

export function RunTablePage({ params, query }: PageProps) {
  const projectId = params.projectId;
  const {
    project,
    workspace,
    runs,
    refreshError,
    refreshedAt,
    selected,
    setSelected,
    filters,
    sort,
    anyActive,
    rows,
    hasMore,
    loadMore,
    searching,
    discovered,
    tags,
    columns,
    numericColumns,
    filterErrors,
    visibleIds,
    visibleRuns,
    showCharts,
    comparison,
    filtersActive,
    setColumns,
    clearFilters,
    onSort,
    onSelect,
    onSelectAll,
  } = useRunTableState(projectId, query);

  const scroller = useRef<HTMLDivElement>(null);
  const shown = useRowWindow(scroller, rows.length, loadMore);
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
            {`${rows.length}${hasMore ? "+" : ""} ${filtersActive ? "matching " : ""}run${rows.length === 1 && !hasMore ? "" : "s"}`}
            {searching ? " …" : ""}
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
            title="Conditions on config keys and summary values, searched by the server: key=value, !=, <, <=, >, >=, ~ (contains). Side by side or with and; or, not and parentheses combine them. Nested config keys with dots (model.layers>4), metrics.loss.min, results.acc; quote values with spaces."
            value={filters.query}
            aria-invalid={filterErrors.length > 0}
            aria-describedby={filterErrors.length ? "filter-query-errors" : undefined}
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
      {filterErrors.length > 0 && (
        <div class="message error query-errors" id="filter-query-errors" role="status" data-testid="filter-query-error">
          <ul>
            {filterErrors.map((error) => (
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

      {showCharts && runs.data && rows.length > 0 && <ProjectCharts projectId={projectId} visibleRuns={visibleRuns} settings={parseChartSettings(query)} />}

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
      ) : !rows.length && !filtersActive && !filterErrors.length ? (
        <NoRuns project={project.data} workspace={workspace.data} />
      ) : (
        <div class="table-scroll run-table-scroll" ref={scroller} data-testid="run-table-scroll">
          <table class="data run-table" data-testid="run-table">
            <thead>
              <tr>
                <th scope="col" class="select-cell">
                  <SelectAll visibleIds={visibleIds} selected={selected} onChange={onSelectAll} />
                </th>
                {BUILTIN_COLUMNS.map((key) => (
                  <HeaderCell key={key} columnKey={key} sort={sort} onSort={onSort} sortable={serverSortField(key) !== null} className={key === "duration" ? "number" : undefined} />
                ))}
                {columns.map((key) => (
                  <HeaderCell key={key} columnKey={key} sort={sort} onSort={onSort} sortable={serverSortField(key) !== null} className={numericColumns.has(key) ? "number" : undefined} />
                ))}
              </tr>
            </thead>
            <tbody>
              <SpacerRow height={shown.before} columns={BUILTIN_COLUMNS.length + columns.length + 1} />
              {rows.slice(shown.start, shown.end).map((row) => (
                <RunRow key={row.run.id} row={row} columns={columns} numericColumns={numericColumns} selected={selected.has(row.run.id)} onSelect={onSelect} />
              ))}
              <SpacerRow height={shown.after} columns={BUILTIN_COLUMNS.length + columns.length + 1} />
            </tbody>
          </table>
          {hasMore && (
            <div class="muted load-more" data-testid="run-table-more">
              Loading more runs as you scroll…
            </div>
          )}
          {!rows.length && (
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
