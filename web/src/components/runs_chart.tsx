// One metric of several runs in one chart: a line per run (in the run's color), or, grouped, a line
// per group (the mean of its runs at each step) with a band. Zooming asks for finer buckets.
import { useMemo, useRef, useState } from "preact/hooks";
import { fetchComparedSeries } from "../series_api";
import { colorAt, metricVersion } from "../lib/compare";
import { formatNumber } from "../lib/format";
import { aggregateBuckets, type RunGroup } from "../lib/grouping";
import { useAsync } from "../lib/hooks";
import type { GroupBand } from "../lib/layout";
import { pointsForWidth, type ChartSettings, type PlotLine } from "../lib/series";
import type { ComparedSeries, Run } from "../types";
import { Chart, type ZoomRange } from "./chart";
import { ErrorMessage } from "./common";

export interface Grouping {
  groups: RunGroup[];
  band: GroupBand;
}

export function RunsChart({ name, runs, colors, settings, grouping, testId = "compare-chart" }: { name: string; runs: readonly Run[]; colors: Record<string, string>; settings: ChartSettings; grouping?: Grouping | null; testId?: string }) {
  const card = useRef<HTMLDivElement>(null);
  const runIds = runs.map((run) => run.id).join(",");
  const version = metricVersion(runs, name);
  const [zoom, setZoom] = useState<{ range: ZoomRange; series: ComparedSeries | null } | null>(null);
  const zoomGeneration = useRef(0);
  const points = () => pointsForWidth(card.current?.clientWidth ?? 0);
  const { data, error, reload } = useAsync(() => fetchComparedSeries(runIds, name, { points: points() }), [runIds, name, version]);

  const onZoom = (range: ZoomRange | null) => {
    const mine = ++zoomGeneration.current;
    setZoom(range && { range, series: null });
    if (!range || !data || data.bucket_width <= 1) return;
    void fetchComparedSeries(runIds, name, { points: points(), step_min: range.min, step_max: range.max })
      .then((series) => {
        if (mine === zoomGeneration.current) setZoom({ range, series });
      })
      .catch(() => undefined);
  };

  const shown = zoom?.series ?? data;
  const grouped = Boolean(grouping && grouping.groups.length);
  const lines = useMemo<PlotLine[]>(() => {
    if (!shown) return [];
    const byRun = new Map(shown.series.map((series) => [series.run_id, series.buckets]));
    if (grouping && grouping.groups.length) {
      return grouping.groups.map((group, index) => ({
        label: `${group.label} (${group.runIds.length})`,
        color: colorAt(index),
        buckets: aggregateBuckets(group.runIds.map((id) => byRun.get(id) ?? []), grouping.band),
      }));
    }
    return runs.map((run) => ({ label: run.name, color: colors[run.id], buckets: byRun.get(run.id) ?? [] }));
  }, [shown, runs, colors, grouping]);
  const bands = grouped ? grouping?.band !== "none" : runs.length <= 4;

  return (
    <div
      class="chart-card"
      ref={card}
      data-testid={testId}
      data-metric={name}
      data-series={shown ? shown.series.filter((series) => series.buckets.length > 0).length : ""}
      data-groups={grouped ? grouping?.groups.length : ""}
    >
      <h3>
        <span>{name}</span>
        {grouped && <span class="muted">{grouping?.groups.length} groups</span>}
      </h3>
      {error && !data ? (
        <ErrorMessage error={error} onRetry={reload} />
      ) : !data ? (
        <div class="chart-empty muted" aria-busy="true">
          Loading…
        </div>
      ) : (
        <Chart lines={lines} xAxis={settings.xAxis} logScale={settings.logScale} smoothing={settings.smoothing} bands={bands} onZoom={onZoom} />
      )}
      {zoom && (
        <div class="zoom-note muted">
          Steps {formatNumber(zoom.range.min)}–{formatNumber(zoom.range.max)} · double-click to reset
        </div>
      )}
    </div>
  );
}
