// Charts of a project's runs as the table shows them: the top N by the table's sort and filters,
// a chart per metric (the metrics most of them logged first), optionally grouped by config keys
// (kept in the user's layout of the project).
import { useMemo, useState } from "preact/hooks";
import { assignColors } from "../lib/compare";
import { groupingKeys, groupRuns } from "../lib/grouping";
import { EMPTY_LAYOUT, type GroupBand } from "../lib/layout";
import { filterMetrics, type ChartSettings } from "../lib/series";
import { useProjectLayout } from "../layout_api";
import type { Run } from "../types";
import { ChartControls } from "./chart_controls";
import { Empty, ErrorMessage, Options } from "./common";
import { GroupControls } from "./group_controls";
import { RunsChart } from "./runs_chart";
import "../styles/charts.css";

export const TOP_CHOICES = [5, 10, 20, 50] as const;
/** Charts drawn at most (a filter picks others). */
const MAX_CHARTS = 12;

/** Metric names of the runs, those most runs logged first, then by name. */
export function metricsByPrevalence(runs: readonly Pick<Run, "summary">[]): string[] {
  const counts = new Map<string, number>();
  for (const run of runs) for (const name of Object.keys(run.summary?.metrics ?? {})) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a, countA], [b, countB]) => countB - countA || a.localeCompare(b, "en", { numeric: true }))
    .map(([name]) => name);
}

export function ProjectCharts({ projectId, visibleRuns, settings }: { projectId: string; visibleRuns: readonly Run[]; settings: ChartSettings }) {
  const [top, setTop] = useState<number>(10);
  const [search, setSearch] = useState("");
  const { layout, saveError, change } = useProjectLayout(projectId);
  const runs = useMemo(() => visibleRuns.slice(0, top), [visibleRuns, top]);
  const colors = useMemo(() => assignColors(runs.map((run) => run.id)), [runs]);
  const names = useMemo(() => filterMetrics(metricsByPrevalence(runs), search).slice(0, MAX_CHARTS), [runs, search]);
  const keys = useMemo(() => groupingKeys(runs), [runs]);
  const groupBy = layout?.group_by ?? [];
  const band = layout?.group_band ?? "minmax";
  const grouping = useMemo(() => (groupBy.length ? { groups: groupRuns(runs, groupBy), band } : null), [runs, groupBy.join(","), band]);
  const setGrouping = (next: string[], nextBand: GroupBand) => change({ ...(layout ?? EMPTY_LAYOUT), group_by: next, group_band: nextBand });

  return (
    <section class="project-charts" data-testid="project-charts">
      <div class="toolbar">
        <label>
          Top{" "}
          <select data-testid="project-charts-top" value={top} onChange={(event) => setTop(Number((event.target as HTMLSelectElement).value))}>
            <Options values={TOP_CHOICES} />
          </select>{" "}
          runs as sorted
        </label>
        <label>
          <span class="visually-hidden">Filter charted metrics</span>
          <input type="search" data-testid="project-charts-metrics" placeholder="Chart metrics matching…" value={search} onInput={(event) => setSearch((event.target as HTMLInputElement).value)} />
        </label>
        <GroupControls keys={keys} groupBy={groupBy} band={band} onChange={setGrouping} />
        <ChartControls settings={settings} />
      </div>
      <ErrorMessage error={saveError} />
      {runs.length === 0 ? (
        <Empty>No runs to chart: the filters match none.</Empty>
      ) : names.length === 0 ? (
        <Empty>{search ? `No metric of these runs matches “${search}”.` : "These runs have not logged any metric yet."}</Empty>
      ) : (
        <div class="chart-grid">
          {names.map((name) => (
            <RunsChart key={name} name={name} runs={runs} colors={colors} settings={settings} grouping={grouping} testId="project-chart" />
          ))}
        </div>
      )}
    </section>
  );
}
