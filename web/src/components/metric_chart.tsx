// One metric of one run as a chart card: fetches its downsampled series again when the metric grows,
// and a finer window of it when the user zooms in.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { formatNumber } from "../lib/format";
import { useAsync } from "../lib/hooks";
import { fetchRunSeries } from "../series_api";
import { pointsForWidth, type ChartSettings, type PlotLine } from "../lib/series";
import type { DownsampledSeries, MetricSummary } from "../types";
import { Chart, type ZoomRange } from "./chart";
import { ErrorMessage } from "./common";

interface Loaded {
  series: DownsampledSeries;
  count: number;
  lastStep: number | null;
}

/** `lazy`: fetch only once the card comes near the viewport (for runs with very many metrics). */
export function MetricChart({ runId, metric, settings, color, lazy = false }: { runId: string; metric: MetricSummary; settings: ChartSettings; color: string; lazy?: boolean }) {
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
  const [zoom, setZoom] = useState<{ range: ZoomRange; series: DownsampledSeries | null } | null>(null);
  const zoomGeneration = useRef(0);
  const version = `${metric.count}@${metric.last_step ?? ""}`;

  const points = () => pointsForWidth(card.current?.clientWidth ?? 0);

  const { data: loaded, error, reload } = useAsync<Loaded | null>(async () => {
    if (!seen) return null;
    const { count, last_step: lastStep } = metric;
    const series = await fetchRunSeries(runId, metric.name, { points: points() });
    return { series, count, lastStep };
  }, [runId, metric.name, version, seen]);

  const onZoom = (range: ZoomRange | null) => {
    const mine = ++zoomGeneration.current;
    setZoom(range && { range, series: null });
    // only worth a request when the full view is downsampled
    if (!range || !loaded || loaded.series.bucket_width <= 1) return;
    void fetchRunSeries(runId, metric.name, { points: points(), step_min: range.min, step_max: range.max })
      .then((series) => {
        if (mine === zoomGeneration.current) setZoom({ range, series });
      })
      .catch(() => undefined);
  };

  const buckets = zoom?.series?.buckets ?? loaded?.series.buckets;
  const lines = useMemo<PlotLine[]>(() => (buckets ? [{ label: metric.name, color, buckets }] : []), [buckets, metric.name, color]);

  return (
    <div
      class="chart-card"
      ref={card}
      data-testid="metric-chart"
      data-metric={metric.name}
      data-last-step={loaded?.lastStep ?? ""}
      data-count={loaded?.count ?? ""}
    >
      <h3>
        <span>{metric.name}</span>
        <span class="muted" title={`min ${formatNumber(metric.min)} · max ${formatNumber(metric.max)}`}>
          last {formatNumber(metric.last)} @ {metric.last_step ?? "–"}
        </span>
      </h3>
      {error && !loaded ? (
        <ErrorMessage error={error} onRetry={reload} />
      ) : !loaded ? (
        <div class="chart-empty muted" aria-busy="true">
          Loading…
        </div>
      ) : (
        <Chart lines={lines} xAxis={settings.xAxis} logScale={settings.logScale} smoothing={settings.smoothing} onZoom={onZoom} />
      )}
      {zoom && (
        <div class="zoom-note muted">
          Steps {formatNumber(zoom.range.min)}–{formatNumber(zoom.range.max)}
          {zoom.series && zoom.series.bucket_width < (loaded?.series.bucket_width ?? 1) ? " (finer)" : ""} · double-click to reset
        </div>
      )}
    </div>
  );
}
