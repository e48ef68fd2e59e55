// The run page's panel grid: as many columns as the width holds, each panel spanning 1-4 of them and
// as high as the user dragged it, drawing its metrics (chosen, or matched by a pattern) with its own
// settings. Every change goes to `onChange`, which saves the layout.
import { useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { clamp, compilePattern, MAX_HEIGHT, MAX_PANEL_METRICS, MIN_HEIGHT, movePanel, panelMetrics, panelTitle, resized, yRange, type Panel } from "../lib/layout";
import { filterMetrics } from "../lib/series";
import { MAX_SMOOTHING } from "../lib/smoothing";
import type { MetricSummary } from "../types";
import { SmoothingSlider } from "./chart_controls";
import { Empty } from "./common";
import { MetricChart } from "./metric_chart";
import "../styles/panels.css";

/** Narrowest column of the grid, and the gap between columns (CSS pixels). */
const MIN_COLUMN_WIDTH = 340;
const GAP = 12;
/** Panels fetched at once; further ones when scrolled near. */
const EAGER_PANELS = 24;

/** How many columns of at least MIN_COLUMN_WIDTH fit in `width`. */
export function columnsFor(width: number): number {
  return Math.max(1, Math.floor((width + GAP) / (MIN_COLUMN_WIDTH + GAP)));
}

function useColumns(): { ref: preact.RefObject<HTMLDivElement>; columns: number; columnWidth: number } {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    setWidth(element.clientWidth);
    const observer = new ResizeObserver(() => setWidth(element.clientWidth));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const columns = columnsFor(width);
  return { ref, columns, columnWidth: width > 0 ? (width - GAP * (columns - 1)) / columns : MIN_COLUMN_WIDTH };
}

export interface PanelGridProps {
  runId: string;
  metrics: readonly MetricSummary[];
  panels: readonly Panel[];
  onChange: (panels: Panel[]) => void;
  /** The page's metric filter: only panels drawing a matching metric (or so titled) are shown. */
  search: string;
  /** A new panel being set up, shown first in the grid until saved or cancelled. */
  adding: Panel | null;
  onAdded: () => void;
}

export function PanelGrid({ runId, metrics, panels, onChange, search, adding, onAdded }: PanelGridProps) {
  const byName = useMemo(() => new Map(metrics.map((metric) => [metric.name, metric])), [metrics]);
  const names = useMemo(() => [...byName.keys()], [byName]);
  const { ref, columns, columnWidth } = useColumns();
  const [editing, setEditing] = useState<string | null>(null);

  const shown = panels.filter((panel) => {
    if (!search) return true;
    const drawn = panelMetrics(panel, names);
    return filterMetrics([...drawn, panel.title].filter(Boolean), search).length > 0;
  });
  const replace = (next: Panel) => onChange(panels.map((panel) => (panel.id === next.id ? next : panel)));

  return (
    <div class="panel-grid" ref={ref} data-testid="panel-grid" data-columns={columns} style={{ gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}>
      {adding && (
        <div key={`adding-${adding.id}`} class="panel-card panel-editing" style={{ gridColumn: `span ${Math.min(2, columns)}` }}>
          <PanelEditor
            panel={adding}
            available={names}
            onSave={(panel) => {
              onChange([panel, ...panels]);
              onAdded();
            }}
            onCancel={onAdded}
          />
        </div>
      )}
      {shown.length === 0 && !adding && (
        <div style={{ gridColumn: "1 / -1" }}>
          <Empty>{search ? `No panel draws a metric matching “${search}”.` : "No panels. Add one, or reset the layout."}</Empty>
        </div>
      )}
      {shown.map((panel, index) =>
        editing === panel.id ? (
          <div key={panel.id} class="panel-card panel-editing" style={{ gridColumn: `span ${Math.min(Math.max(2, panel.span), columns)}` }}>
            <PanelEditor
              panel={panel}
              available={names}
              onSave={(next) => {
                replace(next);
                setEditing(null);
              }}
              onCancel={() => setEditing(null)}
            />
          </div>
        ) : (
          <PanelCard
            key={panel.id}
            runId={runId}
            panel={panel}
            byName={byName}
            names={names}
            columns={columns}
            columnWidth={columnWidth}
            lazy={index >= EAGER_PANELS}
            onEdit={() => setEditing(panel.id)}
            onRemove={() => onChange(panels.filter((other) => other.id !== panel.id))}
            onMove={(offset) => {
              const from = panels.findIndex((other) => other.id === panel.id);
              onChange(movePanel(panels, from, from + offset));
            }}
            first={panels[0]?.id === panel.id}
            last={panels[panels.length - 1]?.id === panel.id}
            onResize={(size) => replace({ ...panel, ...size })}
          />
        ),
      )}
    </div>
  );
}

function PanelCard({
  runId,
  panel,
  byName,
  names,
  columns,
  columnWidth,
  lazy,
  onEdit,
  onRemove,
  onResize,
  onMove,
  first,
  last,
}: {
  runId: string;
  panel: Panel;
  byName: Map<string, MetricSummary>;
  names: readonly string[];
  columns: number;
  columnWidth: number;
  lazy: boolean;
  onEdit: () => void;
  onRemove: () => void;
  onResize: (size: Pick<Panel, "span" | "height">) => void;
  /** Move the panel by `offset` places in the layout (-1: earlier). */
  onMove: (offset: number) => void;
  first: boolean;
  last: boolean;
}) {
  const [preview, setPreview] = useState<Pick<Panel, "span" | "height"> | null>(null);
  const drag = useRef<{ x: number; y: number } | null>(null);
  const drawn = panelMetrics(panel, names);
  const summaries = drawn.map((name) => byName.get(name) as MetricSummary);
  const size = preview ?? panel;
  const title = panelTitle(panel, drawn);

  const onPointerDown = (event: PointerEvent) => {
    event.preventDefault();
    drag.current = { x: event.clientX, y: event.clientY };
    (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId);
  };
  const onPointerMove = (event: PointerEvent) => {
    if (!drag.current) return;
    setPreview(resized(panel, event.clientX - drag.current.x, event.clientY - drag.current.y, columnWidth, columns));
  };
  const onPointerUp = (event: PointerEvent) => {
    if (!drag.current) return;
    const next = resized(panel, event.clientX - drag.current.x, event.clientY - drag.current.y, columnWidth, columns);
    drag.current = null;
    setPreview(null);
    if (next.span !== panel.span || next.height !== panel.height) onResize(next);
  };

  const actions = (
    <span class="panel-actions">
      {!first && (
        <button type="button" class="link" data-testid="panel-move-earlier" aria-label={`Move panel ${title} earlier`} title="Move earlier" onClick={() => onMove(-1)}>
          ‹
        </button>
      )}
      {!last && (
        <button type="button" class="link" data-testid="panel-move-later" aria-label={`Move panel ${title} later`} title="Move later" onClick={() => onMove(1)}>
          ›
        </button>
      )}
      <button type="button" class="link" data-testid="panel-edit" aria-label={`Edit panel ${title}`} title="Edit panel" onClick={onEdit}>
        ⚙
      </button>
      <button type="button" class="link" data-testid="panel-remove" aria-label={`Remove panel ${title}`} title="Remove panel" onClick={onRemove}>
        ×
      </button>
    </span>
  );

  return (
    <div
      class="panel-card"
      data-testid="panel"
      data-panel-id={panel.id}
      data-span={size.span}
      data-height={size.height}
      data-x-axis={panel.x_axis}
      style={{ gridColumn: `span ${Math.min(size.span, columns)}` }}
    >
      {summaries.length === 0 ? (
        <div class="chart-card">
          <h3>
            <span class="chart-title">{title}</span>
            {actions}
          </h3>
          <div class="chart-empty muted" style={{ height: `${size.height}px` }}>
            No metric of this run matches this panel.
          </div>
        </div>
      ) : (
        <MetricChart
          runId={runId}
          metrics={summaries}
          title={title}
          actions={actions}
          lazy={lazy}
          settings={{ xAxis: panel.x_axis, logScale: panel.log_scale, smoothing: panel.smoothing, ...yRange(panel), height: size.height }}
        />
      )}
      <div
        class="panel-resize"
        data-testid="panel-resize"
        role="separator"
        aria-label="Drag to resize the panel"
        title="Drag to resize"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={() => {
          drag.current = null;
          setPreview(null);
        }}
      />
    </div>
  );
}

function optionalNumber(text: string): number | null | "invalid" {
  if (!text.trim()) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : "invalid";
}

/** The form that sets up a panel: title, metrics, pattern, x axis, log scale, smoothing, y range. */
export function PanelEditor({ panel, available, onSave, onCancel }: { panel: Panel; available: readonly string[]; onSave: (panel: Panel) => void; onCancel: () => void }) {
  const [draft, setDraft] = useState(panel);
  const [yMin, setYMin] = useState(panel.y_min === null ? "" : String(panel.y_min));
  const [yMax, setYMax] = useState(panel.y_max === null ? "" : String(panel.y_max));
  // The draft is the editor's own from its first render (each panel's editor is keyed by its
  // id): a later copy of the same panel, such as a refreshed layout, never overwrites what
  // the user is typing.
  const set = (fields: Partial<Panel>) => setDraft({ ...draft, ...fields });
  const { error: patternError } = compilePattern(draft.pattern);
  const drawn = patternError ? [] : panelMetrics(draft, available);
  const low = optionalNumber(yMin);
  const high = optionalNumber(yMax);
  const problem =
    patternError !== null
      ? `The pattern is not a regular expression: ${patternError}`
      : !draft.metrics.length && !draft.pattern
        ? "Choose metrics or give a pattern."
        : low === "invalid" || high === "invalid"
          ? "The y range takes numbers."
          : low !== null && high !== null && low >= high
            ? "The y range's minimum must be below its maximum."
            : null;
  const options = [...new Set([...available, ...draft.metrics])].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));

  return (
    <form
      class="panel-editor"
      data-testid="panel-editor"
      onSubmit={(event) => {
        event.preventDefault();
        if (problem || low === "invalid" || high === "invalid") return;
        onSave({ ...draft, title: draft.title.trim(), y_min: low, y_max: high });
      }}
    >
      <label>
        Title
        <input data-testid="panel-title-input" value={draft.title} maxLength={200} placeholder="(the metrics' names)" onInput={(event) => set({ title: (event.target as HTMLInputElement).value })} />
      </label>
      <label>
        Metrics
        <select
          multiple
          data-testid="panel-metrics-select"
          size={Math.min(8, Math.max(3, options.length))}
          onChange={(event) => set({ metrics: [...(event.target as HTMLSelectElement).selectedOptions].map((option) => option.value).slice(0, MAX_PANEL_METRICS) })}
        >
          {options.map((name) => (
            <option key={name} value={name} selected={draft.metrics.includes(name)}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Pattern (regular expression)
        <input data-testid="panel-pattern-input" value={draft.pattern} maxLength={200} placeholder="e.g. ^val/" onInput={(event) => set({ pattern: (event.target as HTMLInputElement).value })} />
      </label>
      <p class="muted panel-drawn" data-testid="panel-drawn">
        Draws {drawn.length} metric{drawn.length === 1 ? "" : "s"}
        {drawn.length ? `: ${drawn.slice(0, 6).join(", ")}${drawn.length > 6 ? "…" : ""}` : ""}
      </p>
      <div class="panel-editor-row">
        <label>
          X axis
          <select data-testid="panel-x-axis" value={draft.x_axis} onChange={(event) => set({ x_axis: (event.target as HTMLSelectElement).value as Panel["x_axis"] })}>
            <option value="step">Step</option>
            <option value="time">Wall time</option>
            <option value="relative">Relative time</option>
          </select>
        </label>
        <label>
          <input type="checkbox" data-testid="panel-log-scale" checked={draft.log_scale} onChange={(event) => set({ log_scale: (event.target as HTMLInputElement).checked })} />
          Log scale
        </label>
        <SmoothingSlider value={draft.smoothing} onChange={(smoothing) => set({ smoothing: clamp(smoothing, 0, MAX_SMOOTHING) })} testId="panel-smoothing" />
      </div>
      <div class="panel-editor-row">
        <label>
          Y min
          <input data-testid="panel-y-min" inputMode="decimal" size={8} value={yMin} placeholder="auto" onInput={(event) => setYMin((event.target as HTMLInputElement).value)} />
        </label>
        <label>
          Y max
          <input data-testid="panel-y-max" inputMode="decimal" size={8} value={yMax} placeholder="auto" onInput={(event) => setYMax((event.target as HTMLInputElement).value)} />
        </label>
        <label>
          Height
          <input
            type="number"
            data-testid="panel-height"
            min={MIN_HEIGHT}
            max={MAX_HEIGHT}
            step={20}
            value={draft.height}
            onChange={(event) => set({ height: clamp(Number((event.target as HTMLInputElement).value) || draft.height, MIN_HEIGHT, MAX_HEIGHT) })}
          />
        </label>
      </div>
      {problem && (
        <p class="inline-error" role="alert">
          {problem}
        </p>
      )}
      <div class="row">
        <button type="submit" class="primary" data-testid="panel-save" disabled={problem !== null}>
          Save panel
        </button>
        <button type="button" data-testid="panel-cancel" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
