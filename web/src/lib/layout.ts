// A project's chart layout: panels with their metrics (named or matched by a pattern) and their own
// settings, as the API stores it per user (GET/PUT /v1/projects/{id}/layout).
import type { Schemas } from "../api_types";
import { groupMetrics } from "./series";

type LayoutSchemas = Pick<Schemas, "Panel" | "LayoutOut" | "LayoutRequest">;

/** A panel as the API answers it, every field present. */
export type Panel = Required<LayoutSchemas["Panel"]>;

export type GroupBand = LayoutSchemas["LayoutOut"]["group_band"];

/** What is saved: the panels, and how the project view groups runs. */
export interface Layout {
  panels: Panel[];
  group_by: string[];
  group_band: GroupBand;
}

/** The layout as the API answers it (`updated_at` null until one is saved). */
export type SavedLayout = Omit<LayoutSchemas["LayoutOut"], "panels"> & Layout;

/** What the API takes; a Layout must fit it (checked where it is sent). */
export type LayoutBody = LayoutSchemas["LayoutRequest"];

export const MAX_SPAN = 4;
export const MIN_HEIGHT = 160;
export const MAX_HEIGHT = 800;
export const DEFAULT_HEIGHT = 220;
export const MAX_PANELS = 100;
export const MAX_PANEL_METRICS = 50;

export const EMPTY_LAYOUT: Layout = { panels: [], group_by: [], group_band: "minmax" };

export function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, value));
}

/** A saved layout as the grid needs it: panel ids unique (a repeated id gets a fresh one). */
export function normalizeLayout<T extends Layout>(layout: T): T {
  const taken = new Set(layout.panels.map((panel) => panel.id));
  const seen = new Set<string>();
  const panels = layout.panels.map((panel) => {
    if (!seen.has(panel.id)) {
      seen.add(panel.id);
      return panel;
    }
    let id = panel.id;
    for (let copy = 2; taken.has(id); copy += 1) id = `${panel.id.slice(0, 56)}~${copy}`;
    taken.add(id);
    seen.add(id);
    return { ...panel, id };
  });
  return { ...layout, panels };
}

/** The y range a panel fixes: both ends only when the minimum is below the maximum. */
export function yRange(panel: Pick<Panel, "y_min" | "y_max">): { yMin: number | null; yMax: number | null } {
  if (panel.y_min !== null && panel.y_max !== null && panel.y_min >= panel.y_max) return { yMin: null, yMax: null };
  return { yMin: panel.y_min, yMax: panel.y_max };
}

/** A panel with the defaults for what is not given. */
export function newPanel(fields: Partial<Panel> & Pick<Panel, "id">): Panel {
  return {
    title: "",
    metrics: [],
    pattern: "",
    x_axis: "step",
    log_scale: false,
    smoothing: 0,
    y_min: null,
    y_max: null,
    span: 1,
    height: DEFAULT_HEIGHT,
    ...fields,
  };
}

/** An id no panel of `panels` has. */
export function freshPanelId(panels: readonly Panel[]): string {
  const taken = new Set(panels.map((panel) => panel.id));
  for (let index = panels.length + 1; ; index += 1) {
    const id = `panel-${index}`;
    if (!taken.has(id)) return id;
  }
}

/** The pattern as a regular expression, or an error message when it is not one. */
export function compilePattern(pattern: string): { regex: RegExp | null; error: string | null } {
  if (!pattern) return { regex: null, error: null };
  try {
    return { regex: new RegExp(pattern), error: null };
  } catch (error) {
    return { regex: null, error: error instanceof Error ? error.message : String(error) };
  }
}

/** The metrics a panel draws, of those `available`: its named ones (in its order) that exist, then
 * those its pattern matches, each once, at most MAX_PANEL_METRICS. */
export function panelMetrics(panel: Panel, available: readonly string[]): string[] {
  const known = new Set(available);
  const chosen = panel.metrics.filter((name) => known.has(name));
  const { regex } = compilePattern(panel.pattern);
  if (regex) {
    const sorted = [...available].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    for (const name of sorted) if (regex.test(name)) chosen.push(name);
  }
  return [...new Set(chosen)].slice(0, MAX_PANEL_METRICS);
}

/** A panel per metric, sections in their usual order (system metrics last, on a wall-clock axis:
 * they are sampled by time, and lined up with training by the time of each step). */
export function panelsFor(metricNames: readonly string[]): Panel[] {
  const names = groupMetrics(metricNames).flatMap((section) => section.names);
  return names
    .slice(0, MAX_PANELS)
    .map((name) => newPanel({ id: `metric:${name}`.slice(0, 64), metrics: [name], x_axis: defaultXAxis([name]) }));
}

/** The x axis a new panel of these metrics starts with: wall time when they are all system metrics. */
export function defaultXAxis(metricNames: readonly string[]): Panel["x_axis"] {
  return metricNames.length > 0 && metricNames.every(isSystemMetric) ? "time" : "step";
}

/** Whether a metric is one the SDK samples from the machine (`system/…`). */
export function isSystemMetric(name: string): boolean {
  return name.startsWith("system/");
}

/** The layout shown before the user saves one: a panel per metric, leaving out system metrics
 * (which the page offers to add) unless there are no others. */
export function defaultLayout(metricNames: readonly string[]): Layout {
  const own = metricNames.filter((name) => !isSystemMetric(name));
  return { ...EMPTY_LAYOUT, panels: panelsFor(own.length ? own : metricNames) };
}

/** A panel's title: its own, or the metrics it draws. */
export function panelTitle(panel: Panel, drawn: readonly string[]): string {
  if (panel.title) return panel.title;
  if (drawn.length === 1) return drawn[0];
  if (panel.pattern && !panel.metrics.length) return `/${panel.pattern}/`;
  return drawn.length ? `${drawn[0]} +${drawn.length - 1}` : "No metrics";
}

/** Span and height after dragging a panel's corner by (dx, dy) pixels on a grid of `columnWidth`. */
export function resized(panel: Panel, dx: number, dy: number, columnWidth: number, columns: number): Pick<Panel, "span" | "height"> {
  const width = panel.span * columnWidth + dx;
  const span = clamp(Math.round(width / Math.max(1, columnWidth)), 1, Math.max(1, Math.min(MAX_SPAN, columns)));
  const height = clamp(Math.round(panel.height + dy), MIN_HEIGHT, MAX_HEIGHT);
  return { span, height };
}

/** Moves the panel at `from` to `to` (indexes into the list). */
export function movePanel(panels: readonly Panel[], from: number, to: number): Panel[] {
  const next = panels.slice();
  if (from < 0 || from >= next.length || to < 0 || to >= next.length) return next;
  const [moved] = next.splice(from, 1);
  next.splice(to, 0, moved);
  return next;
}
