// A uPlot line chart of metric buckets: min/max band, EMA smoothing over a faint raw line, step or
// wall-clock x axis, log y axis, drag to zoom (double-click resets), hover read-out, resizes with its box.
import { useEffect, useMemo, useRef } from "preact/hooks";
import uPlot from "uplot";
import { buildPlot, columnsKey, mainColumn, type PlotLine, type PlotModel, type XAxisMode } from "../lib/series";
import { formatNumber } from "../lib/format";
import "../styles/charts.css";

export interface ZoomRange {
  min: number;
  max: number;
}

export interface ChartProps {
  lines: readonly PlotLine[];
  xAxis: XAxisMode;
  logScale: boolean;
  smoothing: number;
  bands?: boolean;
  height?: number;
  /** Called after the user drags a range on the step axis (null when the zoom is reset). */
  onZoom?: (range: ZoomRange | null) => void;
  /** Show uPlot's own legend with live values (default: when there are few lines). */
  legend?: boolean;
  /** Fixed ends of the y axis (null: fitted to the data). */
  yMin?: number | null;
  yMax?: number | null;
}

/** Seconds as a short duration for the relative time axis: 45s, 12m, 3.5h. */
export function durationLabel(seconds: number): string {
  const magnitude = Math.abs(seconds);
  if (magnitude < 120) return `${Number(seconds.toPrecision(3))}s`;
  if (magnitude < 7200) return `${Number((seconds / 60).toPrecision(3))}m`;
  return `${Number((seconds / 3600).toPrecision(3))}h`;
}

/** A CSS color with an alpha (hex `#rrggbb` / `hsl()` / anything else unchanged). */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color);
  if (hex) {
    const value = Number.parseInt(hex[1], 16);
    return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
  }
  const hsl = /^hsl\((.*)\)$/i.exec(color);
  if (hsl) return `hsla(${hsl[1]}, ${alpha})`;
  return color;
}

/** A hover number written plainly (no thousands separators), so it reads back as a number. */
export function plainNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

function axisNumber(value: number): string {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) return value.toExponential(1).replace("e+", "e");
  if (magnitude >= 1e3) {
    const k = value / 1e3;
    return `${Number(k.toPrecision(3))}k`;
  }
  return String(Number(value.toPrecision(4)));
}

function makeOptions(
  model: PlotModel,
  lines: readonly PlotLine[],
  props: { logScale: boolean; height: number; width: number; legend: boolean; yMin: number | null; yMax: number | null },
  hooks: uPlot.Hooks.Arrays,
): uPlot.Options {
  const muted = cssVar("--muted", "#667085");
  const border = cssVar("--border", "#dde1e8");
  const series: uPlot.Series[] = [
    model.xAxis === "time"
      ? { label: "time" }
      : model.xAxis === "relative"
        ? { label: "relative time", value: (_u, value) => (value === null || value === undefined ? "–" : durationLabel(value)) }
        : { label: "step", value: (_u, value) => (value === null || value === undefined ? "–" : plainNumber(value)) },
  ];
  const bands: uPlot.Band[] = [];
  const indexOf = new Map<string, number>();
  model.columns.forEach((column, index) => {
    const line = lines[column.line];
    const seriesIndex = index + 1;
    indexOf.set(`${column.line}:${column.role}`, seriesIndex);
    const value = (_u: uPlot, v: number | null) => (v === null || v === undefined ? "–" : formatNumber(v));
    if (column.role === "min" || column.role === "max") {
      series.push({
        label: `${line.label} ${column.role}`,
        class: "wdb-aux",
        stroke: "transparent",
        width: 0,
        points: { show: false },
        value,
      });
    } else if (column.role === "raw") {
      series.push({
        label: `${line.label} (raw)`,
        class: "wdb-aux",
        stroke: withAlpha(line.color, 0.3),
        width: 1,
        points: { show: false },
        value,
      });
    } else {
      series.push({ label: line.label, stroke: line.color, width: 1.5, points: { show: false }, value });
    }
  });
  lines.forEach((line, index) => {
    const max = indexOf.get(`${index}:max`);
    const min = indexOf.get(`${index}:min`);
    if (max && min) bands.push({ series: [max, min], fill: withAlpha(line.color, lines.length > 1 ? 0.08 : 0.15) });
  });
  const yFixed = props.yMin !== null || props.yMax !== null;
  const yRange: uPlot.Range.Function = (_u, dataMin, dataMax) => [props.yMin ?? dataMin, props.yMax ?? dataMax];
  const axis = { stroke: muted, grid: { stroke: border, width: 1 }, ticks: { stroke: border, width: 1 } };
  return {
    width: props.width,
    height: props.height,
    series,
    bands,
    scales: {
      x: { time: model.xAxis === "time" },
      y: { ...(props.logScale ? { distr: 3 as const, log: 10 as const } : {}), ...(yFixed ? { range: yRange } : {}) },
    },
    axes: [
      model.xAxis === "time"
        ? { ...axis }
        : { ...axis, values: (_u, splits) => splits.map(model.xAxis === "relative" ? durationLabel : axisNumber) },
      { ...axis, size: 56, values: (_u, splits) => splits.map((value) => (value === null ? "" : axisNumber(value))) },
    ],
    legend: { show: props.legend, live: true },
    cursor: { drag: { x: true, y: false, setScale: true } },
    hooks,
  };
}

export function Chart({ lines, xAxis, logScale, smoothing, bands = true, height = 220, onZoom, legend, yMin = null, yMax = null }: ChartProps) {
  const model = useMemo(() => buildPlot(lines, { xAxis, logScale, smoothing, bands }), [lines, xAxis, logScale, smoothing, bands]);
  const showLegend = legend ?? lines.length <= 6;
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const stepOut = useRef<HTMLSpanElement>(null);
  const valueOut = useRef<HTMLSpanElement>(null);
  const timeOut = useRef<HTMLSpanElement>(null);
  const modelRef = useRef(model);
  modelRef.current = model;
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;
  const zoomed = useRef(false);

  const structure = `${columnsKey(model.columns)}|${model.xAxis}|${logScale}|${height}|${showLegend}|${yMin}|${yMax}|${lines.map((line) => `${line.label}:${line.color}`).join(";")}`;
  const empty = model.data[0].length === 0;

  useEffect(() => {
    const element = box.current;
    if (!element || empty) return undefined;
    const showHover = (u: uPlot) => {
      const current = modelRef.current;
      const index = u.cursor.idx;
      const column = mainColumn(current, 0);
      let step: number | undefined;
      let value: number | null | undefined;
      if (index !== null && index !== undefined) {
        step = current.steps[0]?.[index];
        value = column > 0 ? current.data[column][index] : undefined;
      }
      if (stepOut.current) stepOut.current.textContent = step === undefined ? "" : String(step);
      if (valueOut.current) valueOut.current.textContent = value === undefined ? "" : value === null ? "gap" : plainNumber(value);
      if (timeOut.current) {
        const x = index === null || index === undefined ? undefined : current.data[0][index];
        timeOut.current.textContent =
          x === undefined ? "" : current.xAxis === "time" ? new Date(x * 1000).toLocaleString() : current.xAxis === "relative" ? `+${durationLabel(x)}` : "";
      }
    };
    const hooks: uPlot.Hooks.Arrays = {
      setCursor: [showHover],
      setSelect: [
        (u: uPlot) => {
          if (u.select.width <= 1) return;
          const min = u.posToVal(u.select.left, "x");
          const max = u.posToVal(u.select.left + u.select.width, "x");
          zoomed.current = true;
          if (modelRef.current.xAxis === "step") zoomRef.current?.({ min: Math.max(0, Math.floor(min)), max: Math.ceil(max) });
        },
      ],
    };
    const width = Math.max(200, element.clientWidth);
    const u = new uPlot(makeOptions(modelRef.current, lines, { logScale, height, width, legend: showLegend, yMin, yMax }, hooks), modelRef.current.data as uPlot.AlignedData, element);
    plot.current = u;
    const reset = () => {
      zoomed.current = false;
      zoomRef.current?.(null);
    };
    u.over.addEventListener("dblclick", reset);
    const observer = new ResizeObserver(() => {
      const next = Math.max(200, element.clientWidth);
      if (Math.abs(next - u.width) > 1) u.setSize({ width: next, height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      u.over.removeEventListener("dblclick", reset);
      u.destroy();
      plot.current = null;
    };
    // rebuilt only when the shape of the chart changes; new data goes through setData below
  }, [structure, empty]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData(model.data as uPlot.AlignedData, !zoomed.current);
  }, [model]);

  const notes: string[] = [];
  if (model.droppedForLog) notes.push(`${model.droppedForLog} point${model.droppedForLog === 1 ? "" : "s"} ≤ 0 left out of the log scale`);
  if (model.nonFinite) notes.push(`${model.nonFinite} NaN/∞ bucket${model.nonFinite === 1 ? "" : "s"} shown as gaps`);
  if (xAxis !== "step" && model.xAxis === "step" && !empty) notes.push("no logging times: plotted by step");

  return (
    <div class="chart" data-bands={model.columns.filter((column) => column.role === "max").length} data-lines={lines.length} data-x-axis={model.xAxis}>
      <div class="chart-readout" aria-live="off">
        <span class="muted">step</span> <span data-testid="hover-step" class="chart-step" ref={stepOut} />
        <span class="muted">value</span> <span data-testid="hover-value" class="chart-value" ref={valueOut} />
        <span class="muted chart-time" ref={timeOut} />
      </div>
      {empty ? <div class="chart-empty muted">No points yet.</div> : <div class="chart-canvas" ref={box} />}
      {notes.length > 0 && <div class="chart-note muted">{notes.join(" · ")}</div>}
    </div>
  );
}
