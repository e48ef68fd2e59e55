// `#/compare?runs=a,b,c`: the runs' metrics overlaid (one color per run, or grouped by config keys
// with `group=lr,seed&band=std`), their config differences and a parallel-coordinates view of config
// against a metric. Refreshes while a run is live.
import { useMemo, useState } from "preact/hooks";
import type { PageProps } from "../app";
import { api } from "../api";
import { CompareMedia } from "../components/compare_media";
import { GroupControls } from "../components/group_controls";
import { RunsChart } from "../components/runs_chart";
import { ChartControls, MetricSearch, SectionToggle } from "../components/chart_controls";
import { Empty, ErrorMessage, Loading, StatusBadge } from "../components/common";
import { ParallelCoordinates } from "../components/parallel";
import { assignColors, colorAt, diffConfigs, flattenConfig, isRunId, parseRunIds, unionMetricNames } from "../lib/compare";
import { formatConfigValue } from "../lib/format";
import { groupingKeys, groupRuns, parseBand, parseGroupKeys } from "../lib/grouping";
import { useAsync } from "../lib/hooks";
import { useLivePolling } from "../components/live";
import { defaultMetricChoice, type ParallelRun } from "../lib/parallel";
import { isActive } from "../lib/run_table";
import type { GroupBand } from "../lib/layout";
import { filterMetrics, groupMetrics, parseChartSettings, plotNumber, type ChartSettings } from "../lib/series";
import { href, updateQuery } from "../router";
import type { Run } from "../types";
import "../styles/compare.css";

export function ComparePage({ query }: PageProps) {
  const ids = parseRunIds(query.get("runs"));
  const key = ids.join(",");
  const validIds = ids.filter(isRunId);
  const loadRuns = () => api<{ items: Run[] }>("/v1/runs/batch-get", { method: "POST", body: { ids: validIds } });
  const runs = useAsync(() => (validIds.length ? loadRuns() : Promise.resolve({ items: [] as Run[] })), [key]);
  const items = runs.data?.items ?? [];
  const live = items.some((run) => isActive(run.status));
  useLivePolling(async () => {
    if (!validIds.length) return;
    runs.setData(await loadRuns());
  }, live);
  const settings = parseChartSettings(query);
  const search = query.get("q") ?? "";

  if (!ids.length) {
    return (
      <div class="compare-page">
        <h1>Compare runs</h1>
        <Empty>Pick two or more runs in a project's run table and press “Compare”.</Empty>
      </div>
    );
  }
  if (runs.error && !runs.data) return <ErrorMessage error={runs.error} onRetry={runs.reload} />;
  if (!runs.data) return <Loading label="Loading runs…" />;
  const groupBy = parseGroupKeys(query.get("group"));
  const band = parseBand(query.get("band"));
  return <CompareView ids={ids} runs={items} settings={settings} search={search} live={live} groupBy={groupBy} band={band} />;
}

function CompareView({ ids, runs, settings, search, live, groupBy, band }: { ids: string[]; runs: Run[]; settings: ChartSettings; search: string; live: boolean; groupBy: string[]; band: GroupBand }) {
  const found = new Set(runs.map((run) => run.id));
  const missing = ids.filter((id) => !found.has(id));
  const colors = useMemo(() => assignColors(runs.map((run) => run.id)), [runs.map((run) => run.id).join(",")]);
  const names = useMemo(() => unionMetricNames(runs), [runs]);
  const sections = useMemo(() => groupMetrics(filterMetrics(names, search)), [names, search]);
  const [collapsed, setCollapsed] = useState<Record<string, boolean>>({});
  const projectIds = [...new Set(runs.map((run) => run.project_id))];
  const keys = useMemo(() => groupingKeys(runs), [runs]);
  const groupKey = groupBy.join(",");
  const grouping = useMemo(() => (groupBy.length ? { groups: groupRuns(runs, groupBy), band } : null), [runs, groupKey, band]);
  const setGrouping = (next: string[], nextBand: GroupBand) =>
    updateQuery({ group: next.join(",") || undefined, band: next.length && nextBand !== "minmax" ? nextBand : undefined });

  const remove = (id: string) => updateQuery({ runs: ids.filter((other) => other !== id).join(",") || undefined });

  return (
    <div class="compare-page">
      <div class="compare-title">
        <h1>
          Compare {runs.length} run{runs.length === 1 ? "" : "s"}
        </h1>
        {projectIds.length === 1 && <a href={href(`/projects/${projectIds[0]}`)}>Back to the project</a>}
        {live && <span class="muted">Live: refreshing every 3 s</span>}
      </div>
      {missing.length > 0 && (
        <div class="message error" role="alert" data-testid="compare-missing">
          <span>
            {missing.length === 1 ? "This run was not found or is not visible to you" : "These runs were not found or are not visible to you"}:{" "}
            {missing.map((id, index) => (
              <span key={id}>
                {index > 0 && ", "}
                <code class="missing-id">{id}</code>
              </span>
            ))}
          </span>
        </div>
      )}
      {runs.length === 0 ? (
        <Empty>None of the runs to compare can be shown.</Empty>
      ) : (
        <>
          <ul class="compare-legend" aria-label="Runs">
            {runs.map((run) => (
              <li key={run.id} data-testid="compare-legend-item" data-run-id={run.id}>
                <span class="swatch" style={{ background: colors[run.id] }} aria-hidden="true" />
                <a href={href(`/runs/${run.id}`)}>{run.name}</a>
                <StatusBadge status={run.status} />
                <button type="button" class="link remove" aria-label={`Remove ${run.name} from the comparison`} title="Remove from comparison" onClick={() => remove(run.id)}>
                  ×
                </button>
              </li>
            ))}
          </ul>

          <section class="compare-section">
            <h2>Charts</h2>
            <div class="toolbar">
              <MetricSearch search={search} />
              <ChartControls settings={settings} />
              <GroupControls keys={keys} groupBy={groupBy} band={band} onChange={setGrouping} />
            </div>
            {grouping && (
              <ul class="compare-legend group-legend" aria-label="Groups">
                {grouping.groups.map((group, index) => (
                  <li key={group.key} data-testid="group-legend-item">
                    <span class="swatch" style={{ background: colorAt(index) }} aria-hidden="true" />
                    {group.label} <span class="muted">({group.runIds.length} run{group.runIds.length === 1 ? "" : "s"})</span>
                  </li>
                ))}
              </ul>
            )}
            {names.length === 0 ? (
              <Empty>These runs have not logged any metric yet.</Empty>
            ) : sections.length === 0 ? (
              <Empty>No metric matches “{search}”.</Empty>
            ) : (
              sections.map((section) => {
                const isCollapsed = collapsed[section.prefix] ?? (section.prefix === "system" && !search);
                return (
                  <section class="metric-section" key={section.prefix}>
                    <h3>
                      <SectionToggle
                        title={section.prefix || "Charts"}
                        count={section.names.length}
                        collapsed={isCollapsed}
                        onToggle={() => setCollapsed({ ...collapsed, [section.prefix]: !isCollapsed })}
                      />
                    </h3>
                    {!isCollapsed && (
                      <div class="chart-grid">
                        {section.names.map((name) => (
                          <RunsChart key={name} name={name} runs={runs} colors={colors} settings={settings} grouping={grouping} />
                        ))}
                      </div>
                    )}
                  </section>
                );
              })
            )}
          </section>

          <section class="compare-section">
            <h2>Media</h2>
            <CompareMedia runs={runs} colors={colors} />
          </section>

          <section class="compare-section">
            <h2>Parallel coordinates</h2>
            <ParallelSection runs={runs} names={names} />
          </section>

          <section class="compare-section">
            <h2>Config</h2>
            <ConfigDiff runs={runs} colors={colors} />
          </section>
        </>
      )}
    </div>
  );
}

interface MetricChoice {
  value: string;
  label: string;
  read: (run: Run) => number | null;
}

function ParallelSection({ runs, names }: { runs: Run[]; names: string[] }) {
  const choices = useMemo<MetricChoice[]>(() => {
    const results = new Set<string>();
    for (const run of runs) for (const name of Object.keys(run.summary?.results ?? {})) results.add(name);
    return [
      ...names.map((name) => ({ value: `metric:${name}`, label: `${name} (last)`, read: (run: Run) => plotNumber(run.summary?.metrics[name]?.last) })),
      ...[...results].sort().map((name) => ({ value: `result:${name}`, label: `${name} (result)`, read: (run: Run) => plotNumber(run.summary?.results[name]) })),
    ];
  }, [runs, names]);
  const preferred = useMemo(() => defaultMetricChoice(choices, (choice) => runs.filter((run) => choice.read(run) !== null).length), [choices, runs]);
  const [chosen, setChosen] = useState<string | null>(null);
  const choice = choices.find((item) => item.value === chosen) ?? preferred;
  const parallelRuns = useMemo<ParallelRun[]>(
    () => runs.map((run) => ({ id: run.id, name: run.name, config: flattenConfig(run.config), metric: choice ? choice.read(run) : null })),
    [runs, choice],
  );
  return (
    <div class="parallel-section">
      <div class="toolbar">
        <label>
          Color by{" "}
          <select data-testid="parallel-metric" value={choice?.value ?? ""} onChange={(event) => setChosen((event.target as HTMLSelectElement).value)} disabled={!choices.length}>
            {!choices.length && <option value="">no metric</option>}
            {choices.map((item) => (
              <option key={item.value} value={item.value}>
                {item.label}
              </option>
            ))}
          </select>
        </label>
        <span class="parallel-scale" aria-hidden="true">
          <span class="muted">low</span>
          <span class="gradient" />
          <span class="muted">high</span>
        </span>
      </div>
      <ParallelCoordinates runs={parallelRuns} metricLabel={choice ? choice.label : "metric"} />
    </div>
  );
}

function ConfigDiff({ runs, colors }: { runs: Run[]; colors: Record<string, string> }) {
  const [showAll, setShowAll] = useState(false);
  const rows = useMemo(() => diffConfigs(runs.map((run) => flattenConfig(run.config))), [runs]);
  const differing = rows.filter((row) => row.differs).length;
  const shown = showAll ? rows : rows.filter((row) => row.differs);
  return (
    <div class="config-diff">
      <div class="toolbar">
        <label>
          <input type="checkbox" data-testid="config-diff-all" checked={showAll} onChange={(event) => setShowAll((event.target as HTMLInputElement).checked)} />
          Show all {rows.length} keys
        </label>
        <span class="muted">
          {differing} of {rows.length} key{rows.length === 1 ? "" : "s"} differ
        </span>
      </div>
      <div class="table-scroll">
        <table class="data" data-testid="config-diff">
          <thead>
            <tr>
              <th scope="col">Key</th>
              {runs.map((run) => (
                <th scope="col" key={run.id}>
                  <span class="swatch" style={{ background: colors[run.id] }} aria-hidden="true" /> {run.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr key={row.key} data-testid="config-diff-row" data-key={row.key} class={row.differs ? "differs" : ""}>
                <td>
                  <code>{row.key}</code>
                </td>
                {row.values.map((value, index) => (
                  <td key={runs[index].id} class={value === undefined ? "missing" : ""}>
                    {value === undefined ? "—" : formatConfigValue(value)}
                  </td>
                ))}
              </tr>
            ))}
            {shown.length === 0 && (
              <tr class="no-diff">
                <td colSpan={runs.length + 1} class="muted">
                  {rows.length === 0 ? "None of these runs has a config." : "The configs are identical. Tick “Show all” to see them."}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
