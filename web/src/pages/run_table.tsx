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
  const table = useRunTableState(projectId, query);

  const scroller = useRef<HTMLDivElement>(null);
  const shown = useRowWindow(scroller, table.rows.length, table.loadMore);
  const title = table.project.data?.name ?? "Runs";
  useEffect(() => {
    document.title = `${title} · WaveDB`;
  }, [title]);

  return (
    <div class="run-table-page">
      <div class="breadcrumb">
        {table.workspace.data ? <a href={href(`/workspaces/${table.workspace.data.id}`)}>{table.workspace.data.name}</a> : <span>&nbsp;</span>}
      </div>
      <div class="page-header">
        <h1 data-testid="project-name">{title}</h1>
        {table.project.data?.description && <span class="muted">{table.project.data.description}</span>}
        <span class="spacer" />
        {table.runs.data && (
          <span class="muted run-count" data-testid="run-count">
            {`${table.rows.length}${table.hasMore ? "+" : ""} ${table.filtersActive ? "matching " : ""}run${table.rows.length === 1 && !table.hasMore ? "" : "s"}`}
            {table.searching ? " …" : ""}
          </span>
        )}
        {table.anyActive && (
          <span class="live-note muted" title={table.refreshedAt ? `Updated ${formatTime(new Date(table.refreshedAt).toISOString())}` : undefined}>
            <span class="pulse" aria-hidden="true" /> live, refreshing every {REFRESH_MS / 1000} s
          </span>
        )}
      </div>
      {!table.runs.error && <ErrorMessage error={table.project.error} onRetry={table.project.reload} />}

      <div class="toolbar run-toolbar" role="search">
        <label class="filter">
          <span class="visually-hidden">Name contains</span>
          <input
            type="search"
            placeholder="Name contains…"
            value={table.filters.name}
            onInput={(event) => updateQuery({ name: inputValue(event) || undefined })}
            data-testid="filter-name"
          />
        </label>
        <label class="filter">
          <span class="visually-hidden">Status</span>
          <select
            value={table.filters.status}
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
            value={table.filters.tag}
            onInput={(event) => updateQuery({ tag: inputValue(event) || undefined })}
            data-testid="filter-tag"
          />
          <datalist id="run-table-tags">
            {table.tags.map((tag) => (
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
            value={table.filters.query}
            aria-invalid={table.filterErrors.length > 0}
            aria-describedby={table.filterErrors.length ? "filter-query-errors" : undefined}
            spellcheck={false}
            autoCapitalize="off"
            onInput={(event) => updateQuery({ q: inputValue(event) || undefined })}
            data-testid="filter-query"
          />
        </label>
        {table.filtersActive && (
          <button type="button" class="link" onClick={table.clearFilters} data-testid="filter-clear">
            Clear filters
          </button>
        )}
        <span class="spacer" />
        <button
          type="button"
          aria-expanded={table.showCharts}
          onClick={() => updateQuery({ charts: table.showCharts ? undefined : "1" })}
          data-testid="project-charts-toggle"
        >
          Charts {table.showCharts ? "▴" : "▾"}
        </button>
        <ColumnChooser discovered={table.discovered} chosen={table.columns} onChange={table.setColumns} onReset={() => table.setColumns(null)} />
        {table.selected.size > 0 && (
          <button type="button" class="link" onClick={() => table.setSelected(new Set())} data-testid="selection-clear">
            Clear selection
          </button>
        )}
        <button
          type="button"
          class="primary"
          disabled={table.comparison.problem !== null}
          title={table.comparison.problem ?? `Compare ${table.comparison.ids.length} runs`}
          onClick={() => navigate("/compare", { runs: table.comparison.ids.join(",") })}
          data-testid="compare-button"
        >
          Compare ({table.selected.size})
        </button>
      </div>
      {table.filterErrors.length > 0 && (
        <div class="message error query-errors" id="filter-query-errors" role="status" data-testid="filter-query-error">
          <ul>
            {table.filterErrors.map((error) => (
              <li key={error}>{error}</li>
            ))}
          </ul>
        </div>
      )}
      {table.selected.size > MAX_COMPARE && (
        <div class="message info" role="status">
          <span>
            {table.selected.size} runs selected: compare takes at most {MAX_COMPARE}.
          </span>
        </div>
      )}
      {table.refreshError !== null && table.runs.data && (
        <ErrorMessage error={table.refreshError} />
      )}

      {table.showCharts && table.runs.data && table.rows.length > 0 && <ProjectCharts projectId={projectId} visibleRuns={table.visibleRuns} settings={parseChartSettings(query)} />}

      {table.runs.error && !table.runs.data ? (
        <ErrorMessage
          error={table.runs.error}
          onRetry={() => {
            void table.project.reload();
            void table.runs.reload();
          }}
        />
      ) : !table.runs.data ? (
        <Loading label="Loading runs…" />
      ) : !table.rows.length && !table.filtersActive && !table.filterErrors.length ? (
        <NoRuns project={table.project.data} workspace={table.workspace.data} />
      ) : (
        <div class="table-scroll run-table-scroll" ref={scroller} data-testid="run-table-scroll">
          <table class="data run-table" data-testid="run-table">
            <thead>
              <tr>
                <th scope="col" class="select-cell">
                  <SelectAll visibleIds={table.visibleIds} selected={table.selected} onChange={table.onSelectAll} />
                </th>
                {BUILTIN_COLUMNS.map((key) => (
                  <HeaderCell key={key} columnKey={key} sort={table.sort} onSort={table.onSort} sortable={serverSortField(key) !== null} className={key === "duration" ? "number" : undefined} />
                ))}
                {table.columns.map((key) => (
                  <HeaderCell key={key} columnKey={key} sort={table.sort} onSort={table.onSort} sortable={serverSortField(key) !== null} className={table.numericColumns.has(key) ? "number" : undefined} />
                ))}
              </tr>
            </thead>
            <tbody>
              <SpacerRow height={shown.before} columns={BUILTIN_COLUMNS.length + table.columns.length + 1} />
              {table.rows.slice(shown.start, shown.end).map((row) => (
                <RunRow key={row.run.id} row={row} columns={table.columns} numericColumns={table.numericColumns} selected={table.selected.has(row.run.id)} onSelect={table.onSelect} />
              ))}
              <SpacerRow height={shown.after} columns={BUILTIN_COLUMNS.length + table.columns.length + 1} />
            </tbody>
          </table>
          {table.hasMore && (
            <div class="muted load-more" data-testid="run-table-more">
              Loading more runs as you scroll…
            </div>
          )}
          {!table.rows.length && (
            <div class="empty no-match" data-testid="run-table-empty">
              No runs match these filters.{" "}
              <button type="button" class="link" onClick={table.clearFilters}>
                Clear filters
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
