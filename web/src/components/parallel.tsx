// Parallel coordinates of compared runs: an axis per config key that varies, a last axis for a metric.
import { useMemo, useState } from "preact/hooks";
import { formatNumber } from "../lib/format";
import { METRIC_AXIS_KEY, buildParallel, linePath, metricColor, nearestLine, shortLabel, type ParallelRun } from "../lib/parallel";

const AXIS_GAP = 140;
const PAD_X = 70;
const TOP = 60;
/** Rows the axis titles alternate between, and the width of a title's character (12px bold). */
const TITLE_ROW = 22;
const TITLE_CHAR_PX = 7.5;
/** Characters of an axis title (two rows, staggered, so neighbours do not overlap) and of a tick. */
const TITLE_CHARS = 30;
const TICK_CHARS = 14;
const PLOT_HEIGHT = 240;
const HEIGHT = TOP + PLOT_HEIGHT + 24;

export function ParallelCoordinates({ runs, metricLabel }: { runs: readonly ParallelRun[]; metricLabel: string }) {
  const model = useMemo(() => buildParallel(runs, metricLabel), [runs, metricLabel]);
  const [hover, setHover] = useState<string | null>(null);
  const titles = model.axes.map((axis) => `${axis.key === METRIC_AXIS_KEY ? metricLabel : axis.key}${axis.log ? " (log)" : ""}`);
  // room at both ends for the first and last titles, centred on their axes
  const padX = Math.max(PAD_X, Math.ceil((Math.max(0, ...titles.map((title) => shortLabel(title, TITLE_CHARS).length)) * TITLE_CHAR_PX) / 2) + 8);
  const width = padX * 2 + Math.max(1, model.axes.length - 1) * AXIS_GAP;
  const xs = model.axes.map((_, index) => (model.axes.length === 1 ? width / 2 : padX + index * AXIS_GAP));
  const hovered = model.lines.find((line) => line.id === hover);
  // the hovered line last, so it is drawn on top
  const ordered = hovered ? [...model.lines.filter((line) => line.id !== hover), hovered] : model.lines;

  return (
    <div class="parallel">
      <div class="parallel-hover" aria-live="polite">
        {hovered ? (
          <span data-testid="parallel-hover">
            <strong>{hovered.name}</strong> · {metricLabel}: {hovered.metric === null ? "–" : formatNumber(hovered.metric)}
          </span>
        ) : (
          <span class="muted">Hover a line to see its run.</span>
        )}
      </div>
      <div class="parallel-scroll">
        <svg
          data-testid="parallel-coordinates"
          viewBox={`0 0 ${width} ${HEIGHT}`}
          width={width}
          height={HEIGHT}
          role="img"
          aria-label={`Parallel coordinates of ${model.lines.length} runs over ${model.axes.length} axes`}
          onMouseMove={(event) => {
            const svg = event.currentTarget as SVGSVGElement;
            const rect = svg.getBoundingClientRect();
            const px = ((event.clientX - rect.left) / rect.width) * width;
            const py = ((event.clientY - rect.top) / rect.height) * HEIGHT;
            setHover(nearestLine(model.lines, xs, TOP, PLOT_HEIGHT, px, py));
          }}
          onMouseLeave={() => setHover(null)}
        >
          {model.axes.map((axis, index) => (
            <g key={axis.key} class="parallel-axis">
              <line x1={xs[index]} x2={xs[index]} y1={TOP} y2={TOP + PLOT_HEIGHT} />
            </g>
          ))}
          {ordered.map((line) => (
            <path
              key={`hit-${line.id}`}
              d={linePath(line.positions, xs, TOP, PLOT_HEIGHT)}
              class="parallel-hit"
              onMouseEnter={() => setHover(line.id)}
            >
              <title>{line.name}</title>
            </path>
          ))}
          {ordered.map((line) => (
            <path
              key={line.id}
              data-run-id={line.id}
              d={linePath(line.positions, xs, TOP, PLOT_HEIGHT)}
              class={line.id === hover ? "parallel-line hover" : hover ? "parallel-line dim" : "parallel-line"}
              stroke={metricColor(line.metricPosition)}
              onMouseEnter={() => setHover(line.id)}
            >
              <title>{line.name}</title>
            </path>
          ))}
          {ordered.map((line) =>
            line.positions.map((position, index) =>
              position === null ? null : (
                <circle
                  key={`${line.id}-${index}`}
                  cx={xs[index]}
                  cy={TOP + (1 - position) * PLOT_HEIGHT}
                  r={line.id === hover ? 4 : 2.5}
                  fill={metricColor(line.metricPosition)}
                  onMouseEnter={() => setHover(line.id)}
                >
                  <title>{line.name}</title>
                </circle>
              ),
            ),
          )}
          {/* labels over the lines, with a halo, so they stay legible */}
          {model.axes.map((axis, index) => (
            <g key={axis.key} class="parallel-labels">
              <text class="axis-title" data-testid="parallel-axis-title" x={xs[index]} y={TOP - 12 - (index % 2) * TITLE_ROW} text-anchor="middle">
                {shortLabel(titles[index], TITLE_CHARS)}
                <title>{`${axis.key === METRIC_AXIS_KEY ? metricLabel : axis.key}${axis.log ? " (log scale)" : ""}`}</title>
              </text>
              {axis.ticks.map((tick) => (
                <text key={tick.label} class="tick" x={xs[index] + 5} y={TOP + (1 - tick.position) * PLOT_HEIGHT + 4}>
                  {tick.label.length > TICK_CHARS ? `${tick.label.slice(0, TICK_CHARS - 1)}…` : tick.label}
                  <title>{tick.label}</title>
                </text>
              ))}
            </g>
          ))}
        </svg>
      </div>
      {model.axes.length === 1 && <div class="muted">No config key differs between these runs; only the metric axis is shown.</div>}
    </div>
  );
}
