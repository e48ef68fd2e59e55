// The controls every chart page shares: x axis (step | time), log scale, smoothing; the metric
// filter (`?q=`) and the buttons that fold a section of charts.
import { updateQuery } from "../router";
import { chartSettingsQuery, type ChartSettings } from "../lib/series";
import { MAX_SMOOTHING } from "../lib/smoothing";
import "../styles/charts.css";

export function MetricSearch({ search, class: labelClass }: { search: string; class?: string }) {
  return (
    <label class={labelClass}>
      <span class="visually-hidden">Filter metrics</span>
      <input
        type="search"
        data-testid="metric-search"
        placeholder="Filter metrics…"
        value={search}
        onInput={(event) => updateQuery({ q: (event.target as HTMLInputElement).value || undefined })}
      />
    </label>
  );
}

export function SectionToggle({ title, count, collapsed, onToggle }: { title: string; count: number; collapsed: boolean; onToggle: () => void }) {
  return (
    <button type="button" class="section-toggle" aria-expanded={!collapsed} onClick={onToggle}>
      <span aria-hidden="true">{collapsed ? "▸" : "▾"}</span> {title}
      <span class="muted"> ({count})</span>
    </button>
  );
}

export function ChartControls({ settings }: { settings: ChartSettings }) {
  const change = (next: Partial<ChartSettings>) => updateQuery(chartSettingsQuery({ ...settings, ...next }));
  return (
    <div class="chart-controls">
      <label>
        X axis
        <select
          data-testid="x-axis-select"
          value={settings.xAxis}
          onChange={(event) => change({ xAxis: (event.target as HTMLSelectElement).value === "time" ? "time" : "step" })}
        >
          <option value="step">Step</option>
          <option value="time">Time</option>
        </select>
      </label>
      <label>
        <input
          type="checkbox"
          data-testid="log-scale-toggle"
          checked={settings.logScale}
          onChange={(event) => change({ logScale: (event.target as HTMLInputElement).checked })}
        />
        Log scale
      </label>
      <SmoothingSlider value={settings.smoothing} onChange={(smoothing) => change({ smoothing })} testId="smoothing-input" />
    </div>
  );
}

/** The smoothing of a chart's lines, 0 (none) to MAX_SMOOTHING, with its value beside it. */
export function SmoothingSlider({ value, onChange, testId }: { value: number; onChange: (smoothing: number) => void; testId: string }) {
  return (
    <label>
      Smoothing
      <input
        type="range"
        data-testid={testId}
        min={0}
        max={MAX_SMOOTHING}
        step={0.01}
        value={value}
        onInput={(event) => onChange(Number((event.target as HTMLInputElement).value))}
      />
      <span class="smoothing-value">{value.toFixed(2)}</span>
    </label>
  );
}
