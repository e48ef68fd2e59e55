// The run's media: one group per media name, with a step slider or a grid across steps (images,
// audio, text, histograms), or a list of downloads (files). Presigned links expire: an image that fails to load is re-fetched.
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, fetchAll } from "../api";
import { formatBytes, formatNumber } from "../lib/format";
import { histogramBars, itemsAtStep, linkExpired, mediaSteps, nearestStepIndex, sampleSteps } from "../lib/media";
import { useAsync } from "../lib/hooks";
import type { MediaItem, MediaNameSummary } from "../types";
import { Empty, ErrorMessage, Loading } from "./common";
import "../styles/run.css";

const KIND_ORDER: MediaItem["kind"][] = ["image", "histogram", "audio", "text", "file"];
/** Cells of the grid across steps at most (steps evenly spread between the first and the last). */
export const GRID_STEPS = 24;

export function MediaGallery({ runId, refreshKey = 0 }: { runId: string; refreshKey?: number }) {
  // refreshKey: the run page's poll count, to read the names again while the run is live
  const names = useAsync(() => api<{ items: MediaNameSummary[] }>(`/v1/runs/${runId}/media/names`), [runId, refreshKey]);

  if (names.error && !names.data) return <ErrorMessage error={names.error} onRetry={names.reload} />;
  if (!names.data) return <Loading label="Loading media…" />;
  const items = names.data.items;
  return (
    <section class="media-gallery" data-testid="media-gallery">
      {items.length === 0 ? (
        <Empty>
          No media logged. From the SDK: <code>run.log_image("samples", image, step=step)</code>, <code>log_audio</code>,{" "}
          <code>log_text</code>, <code>log_histogram</code>.
        </Empty>
      ) : (
        [...items]
          .sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.name.localeCompare(b.name))
          .map((summary) => <MediaGroup key={summary.name} runId={runId} summary={summary} />)
      )}
    </section>
  );
}

/** Loaded media items, each replaced by a fresh copy once its presigned link expired or
 * failed (`refresh`), their steps, and the chosen step (the nearest one that has media). */
export function useMediaSteps(loaded: readonly MediaItem[] | undefined) {
  const [chosenStep, setChosenStep] = useState<number | null>(null);
  const [fresh, setFresh] = useState<Record<string, MediaItem>>({});
  const list = useMemo(() => (loaded ?? []).map((item) => fresh[item.id] ?? item), [loaded, fresh]);
  const steps = useMemo(() => mediaSteps(list), [list]);
  const index = nearestStepIndex(steps, chosenStep);
  const step = index >= 0 ? steps[index] : null;
  const refresh = async (item: MediaItem) => {
    try {
      const next = await api<MediaItem>(`/v1/runs/${item.run_id}/media/${item.id}`);
      setFresh((current) => ({ ...current, [item.id]: next }));
    } catch {
      // keep the broken one; the user can reload
    }
  };
  return { list, steps, index, step, setChosenStep, refresh };
}

/** A slider over the steps that have media, with the chosen step and how many there are. */
export function StepSlider({
  name,
  media: { steps, index, step, setChosenStep },
  testId,
  sliderTestId,
  showRange = false,
}: {
  name: string;
  media: Pick<ReturnType<typeof useMediaSteps>, "steps" | "index" | "step" | "setChosenStep">;
  testId: string;
  sliderTestId: string;
  showRange?: boolean;
}) {
  return (
    <label class="media-slider">
      <span>
        Step <strong data-testid={testId}>{step}</strong>
      </span>
      <input
        type="range"
        data-testid={sliderTestId}
        aria-label={`${name}: step`}
        min={0}
        max={Math.max(0, steps.length - 1)}
        step={1}
        value={index}
        disabled={steps.length < 2}
        onInput={(event) => setChosenStep(steps[Number((event.target as HTMLInputElement).value)] ?? null)}
      />
      <span class="muted">
        {steps.length} step{steps.length === 1 ? "" : "s"}
        {showRange && steps.length > 0 ? `: ${steps[0]}–${steps[steps.length - 1]}` : ""}
      </span>
    </label>
  );
}

function MediaGroup({ runId, summary }: { runId: string; summary: MediaNameSummary }) {
  const version = `${summary.count}/${summary.ready}/${summary.max_step}`;
  const items = useAsync(
    () => fetchAll<MediaItem>(`/v1/runs/${runId}/media`, { name: summary.name, limit: 100 }, 5000),
    [runId, summary.name, version],
  );
  const [mode, setMode] = useState<"slider" | "grid">("slider");
  const { list, steps, index, step, setChosenStep, refresh } = useMediaSteps(items.data);
  const shown = itemsAtStep(list, step);

  const title = (
    <h3>
      {summary.name} <span class="muted">
        {summary.kind} · {summary.count} item{summary.count === 1 ? "" : "s"}
        {summary.ready < summary.count ? ` · ${summary.count - summary.ready} not ready` : ""}
      </span>
    </h3>
  );

  return (
    <section class="media-group panel" data-testid="media-group" data-name={summary.name} data-kind={summary.kind}>
      {title}
      {items.error && !items.data ? (
        <ErrorMessage error={items.error} onRetry={items.reload} />
      ) : !items.data ? (
        <Loading />
      ) : summary.kind === "file" ? (
        <ul class="media-files">
          {list.map((item) => (
            <li key={item.id}>
              <MediaFile item={item} />
            </li>
          ))}
        </ul>
      ) : (
        <>
          {steps.length > 1 && (
            <div class="media-modes" role="group" aria-label={`${summary.name}: view`}>
              <button type="button" aria-pressed={mode === "slider"} class={mode === "slider" ? "active" : ""} data-testid="media-mode-slider" onClick={() => setMode("slider")}>
                One step
              </button>
              <button type="button" aria-pressed={mode === "grid"} class={mode === "grid" ? "active" : ""} data-testid="media-mode-grid" onClick={() => setMode("grid")}>
                Grid across steps
              </button>
            </div>
          )}
          {mode === "grid" && steps.length > 1 ? (
            <MediaGrid steps={steps} list={list} onExpired={refresh} onPick={(picked) => {
              setChosenStep(picked);
              setMode("slider");
            }} />
          ) : (
          <>
          {steps.length > 0 && (
            <StepSlider
              name={summary.name}
              media={{ steps, index, step, setChosenStep }}
              testId="media-step"
              sliderTestId="media-step-slider"
              showRange
            />
          )}
          <div class={`media-items media-${summary.kind}`}>
            {shown.map((item) => (
              <MediaView key={item.id} item={item} onExpired={refresh} />
            ))}
          </div>
          </>
          )}
        </>
      )}
    </section>
  );
}

/** The name's items across steps: a cell per step (at most GRID_STEPS, evenly spread), the first
 * item of each; a cell's step opens it in the one-step view. */
function MediaGrid({ steps, list, onExpired, onPick }: { steps: readonly number[]; list: readonly MediaItem[]; onExpired: (item: MediaItem) => Promise<void>; onPick: (step: number) => void }) {
  const shownSteps = sampleSteps(steps, GRID_STEPS);
  return (
    <>
      {shownSteps.length < steps.length && (
        <p class="muted media-grid-note">
          {shownSteps.length} of {steps.length} steps, evenly spread.
        </p>
      )}
      <div class="media-grid" data-testid="media-grid">
        {shownSteps.map((step) => {
          const [first] = itemsAtStep(list, step);
          return (
            <div class="media-grid-cell" key={step} data-testid="media-grid-cell" data-step={step}>
              <button type="button" class="link media-grid-step" title="Show this step alone" onClick={() => onPick(step)}>
                step {step}
              </button>
              {first && <MediaView item={first} onExpired={onExpired} />}
            </div>
          );
        })}
      </div>
    </>
  );
}

function NotReady({ item }: { item: MediaItem }) {
  if (item.status === "pending") return <div class="media-status muted" data-status="pending">Uploading… (step {item.step})</div>;
  if (item.status === "missing") {
    return (
      <div class="media-status rejected" data-status="missing" title={item.reject_reason ?? undefined}>
        Not available: the stored file is gone (upload it again to restore it)
      </div>
    );
  }
  return (
    <div class="media-status rejected" data-status="rejected">
      Rejected{item.reject_reason ? `: ${item.reject_reason}` : ""}
    </div>
  );
}

/** Reloads of a failed image/audio link allowed (each one asks the API for a fresh link). */
const MAX_LINK_RETRIES = 2;

export function MediaView({ item, onExpired }: { item: MediaItem; onExpired: (item: MediaItem) => Promise<void> }) {
  const [attempt, setAttempt] = useState(0);
  const needsUrl = item.kind === "image" || item.kind === "audio" || item.text_truncated;
  const renew = () => {
    if (attempt >= MAX_LINK_RETRIES) return;
    void onExpired(item).then(() => setAttempt((count) => count + 1));
  };
  useEffect(() => {
    // a link that has already expired (the tab was left open) is renewed before it is used
    if (needsUrl && item.status === "ready" && linkExpired(item.url_expires_at)) renew();
  }, [item.url]);
  const caption = item.caption && <figcaption>{item.caption}</figcaption>;

  if (item.status !== "ready") {
    return (
      <figure class="media-item">
        <NotReady item={item} />
        {caption}
      </figure>
    );
  }
  switch (item.kind) {
    case "image":
      return (
        <figure class="media-item">
          {item.url && (
            <a href={item.url} target="_blank" rel="noopener noreferrer" title="Open full size">
              <img
                key={`${item.url}#${attempt}`}
                data-testid="media-image"
                src={item.url}
                alt={item.caption ?? `${item.name} at step ${item.step}`}
                width={item.width ?? undefined}
                height={item.height ?? undefined}
                loading="lazy"
                onError={renew}
              />
            </a>
          )}
          {caption}
          <div class="media-meta muted">
            {item.width && item.height ? `${item.width}×${item.height}` : ""} {formatBytes(item.size_bytes)}
          </div>
        </figure>
      );
    case "audio":
      return (
        <figure class="media-item">
          {item.url && <audio key={`${item.url}#${attempt}`} data-testid="media-audio" controls preload="none" src={item.url} onError={renew} />}
          {caption}
          <div class="media-meta muted">{formatBytes(item.size_bytes)}</div>
        </figure>
      );
    case "text":
      return (
        <figure class="media-item media-text-item">
          <pre data-testid="media-text">{item.text ?? ""}</pre>
          {item.text_truncated && (
            <div class="muted">
              Truncated.{" "}
              {item.url && (
                <a href={item.url} target="_blank" rel="noopener noreferrer">
                  Open the full text
                </a>
              )}
            </div>
          )}
          {caption}
        </figure>
      );
    case "histogram":
      return (
        <figure class="media-item">
          {item.histogram ? <Histogram bins={item.histogram.bins} counts={item.histogram.counts} /> : <div class="muted">No histogram data.</div>}
          {caption}
        </figure>
      );
    default:
      return <MediaFile item={item} />;
  }
}

function MediaFile({ item }: { item: MediaItem }) {
  if (item.status !== "ready") return <NotReady item={item} />;
  return (
    <span>
      {item.url ? (
        <a href={item.url} download={item.filename ?? undefined} target="_blank" rel="noopener noreferrer" data-testid="media-file">
          {item.filename ?? item.name}
        </a>
      ) : (
        item.filename ?? item.name
      )}{" "}
      <span class="muted">
        step {item.step} · {formatBytes(item.size_bytes)}
        {item.caption ? ` · ${item.caption}` : ""}
      </span>
    </span>
  );
}

const HIST_WIDTH = 360;
const HIST_HEIGHT = 140;

export function Histogram({ bins, counts }: { bins: number[]; counts: number[] }) {
  const bars = histogramBars(bins, counts, HIST_WIDTH, HIST_HEIGHT);
  const [hover, setHover] = useState<number | null>(null);
  const shown = hover !== null ? bars[hover] : null;
  return (
    <div class="histogram">
      <svg
        data-testid="media-histogram"
        viewBox={`0 0 ${HIST_WIDTH} ${HIST_HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Histogram of ${bars.length} bins from ${formatNumber(bins[0])} to ${formatNumber(bins[bins.length - 1])}`}
        onMouseLeave={() => setHover(null)}
      >
        {bars.map((bar, index) => (
          <rect
            key={index}
            x={bar.x}
            y={bar.y}
            width={Math.max(0.5, bar.width - 0.5)}
            height={Math.max(bar.height, bar.count > 0 ? 1 : 0)}
            class={hover === index ? "bar hover" : "bar"}
            onMouseEnter={() => setHover(index)}
          >
            <title>{`[${formatNumber(bar.from)}, ${formatNumber(bar.to)}): ${formatNumber(bar.count)}`}</title>
          </rect>
        ))}
      </svg>
      <div class="histogram-axis muted">
        <span>{formatNumber(bins[0])}</span>
        <span>{shown ? `[${formatNumber(shown.from)}, ${formatNumber(shown.to)}): ${formatNumber(shown.count)}` : ""}</span>
        <span>{formatNumber(bins[bins.length - 1])}</span>
      </div>
    </div>
  );
}
