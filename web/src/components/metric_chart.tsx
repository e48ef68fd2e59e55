// One or more metrics of one run as a chart card: fetches their downsampled series again when a
// metric grows, and a finer window of them when the user zooms in.
import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { formatNumber } from "../lib/format";
import { useAsync } from "../lib/hooks";
import { fetchRunSeries } from "../series_api";
import { colorAt } from "../lib/compare";
import { pointsForWidth, type PlotLine, type XAxisMode } from "../lib/series";
import type { DownsampledSeries, MetricSummary } from "../types";
import { Chart, type ZoomRange } from "./chart";
import { ErrorMessage } from "./common";

interface Loaded {
  series: DownsampledSeries[];
  count: number;
  lastStep: number | null;
}

/** How a panel draws its metrics. */
export interface PanelSettings {
  xAxis: XAxisMode;
  logScale: boolean;
  smoothing: number;
  yMin?: number | null;
  yMax?: number | null;
  height?: number;
}

/** Widest bucket of the series: 1 means every point is drawn. */
function widestBucket(series: readonly DownsampledSeries[]): number {
  return Math.max(1, ...series.map((item) => item.bucket_width));
}

/** `lazy`: fetch only once the card comes near the viewport (for runs with very many metrics).
 * `title` and `actions` replace the card's heading (panels add their own buttons). */
export function MetricChart({ runId, metrics, settings, lazy = false, title, actions }: { runId: string; metrics: readonly MetricSummary[]; settings: PanelSettings; lazy?: boolean; title?: string; actions?: ComponentChildren }) {
  const card = useRef<HTMLDivElement>(null);
  const [seen, setSeen] = useState(!lazy);
  useEffect(() => {
    if (seen || !card.current || typeof IntersectionObserver === "undefined") {
      if (!seen) setSeen(true);
      return undefined;
    }
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) setSeen(true);
    }, { rootMargin: "400px" });
    observer.observe(card.current);
    return () => observer.disconnect();
  }, [seen]);
  const [zoom, setZoom] = useState<{ range: ZoomRange; series: DownsampledSeries[] | null } | null>(null);
  const zoomGeneration = useRef(0);
  const names = metrics.map((metric) => metric.name);
  const version = metrics.map((metric) => `${metric.name}:${metric.count}@${metric.last_step ?? ""}`).join("|");
  const metric = metrics[0];

  const points = () => pointsForWidth(card.current?.clientWidth ?? 0);

  const { data: loaded, error, reload } = useAsync<Loaded | null>(async () => {
    if (!seen || metrics.length === 0) return null;
    const count = metrics.reduce((total, item) => total + item.count, 0);
    const lastStep = metrics.reduce<number | null>((last, item) => (item.last_step === null ? last : Math.max(last ?? item.last_step, item.last_step)), null);
    const series = await Promise.all(names.map((name) => fetchRunSeries(runId, name, { points: points() })));
    return { series, count, lastStep };
  }, [runId, version, seen]);

  const onZoom = (range: ZoomRange | null) => {
    const mine = ++zoomGeneration.current;
    setZoom(range && { range, series: null });
    // only worth a request when the full view is downsampled
    if (!range || !loaded || widestBucket(loaded.series) <= 1) return;
    void Promise.all(names.map((name) => fetchRunSeries(runId, name, { points: points(), step_min: range.min, step_max: range.max })))
      .then((series) => {
        if (mine === zoomGeneration.current) setZoom({ range, series });
      })
      .catch(() => undefined);
  };

  const shown = zoom?.series ?? loaded?.series;
  const lines = useMemo<PlotLine[]>(
    () => (shown ? shown.map((series, index) => ({ label: names[index] ?? "", color: colorAt(index), buckets: series.buckets })) : []),
    [shown, names.join("\n")],
  );

  return (
    <div
      class="chart-card"
      ref={card}
      data-testid="metric-chart"
      data-metric={names.join(",")}
      data-last-step={loaded?.lastStep ?? ""}
      data-count={loaded?.count ?? ""}
    >
      <h3>
        <span class="chart-title">{title ?? metric?.name}</span>
        {metrics.length === 1 && (
          <span class="muted" title={`min ${formatNumber(metric.min)} · max ${formatNumber(metric.max)}`}>
            last {formatNumber(metric.last)} @ {metric.last_step ?? "–"}
          </span>
        )}
        {actions}
      </h3>
      {error && !loaded ? (
        <ErrorMessage error={error} onRetry={reload} />
      ) : !loaded ? (
        <div class="chart-empty muted" aria-busy="true">
          Loading…
        </div>
      ) : (
        <Chart
          lines={lines}
          xAxis={settings.xAxis}
          logScale={settings.logScale}
          smoothing={settings.smoothing}
          yMin={settings.yMin ?? null}
          yMax={settings.yMax ?? null}
          height={settings.height}
          bands={lines.length <= 4}
          onZoom={onZoom}
        />
      )}
      {zoom && (
        <div class="zoom-note muted">
          Steps {formatNumber(zoom.range.min)}–{formatNumber(zoom.range.max)}
          {zoom.series && widestBucket(zoom.series) < widestBucket(loaded?.series ?? []) ? " (finer)" : ""} · double-click to reset
        </div>
      )}
    </div>
  );
}
