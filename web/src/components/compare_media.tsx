// The same image name at the same step, side by side across the compared runs: pick a name the runs
// logged and a step; each run shows its image at that step (or says it has none there).
import { useMemo, useState } from "preact/hooks";
import { api, fetchAll } from "../api";
import { useAsync } from "../lib/hooks";
import { firstAtStep } from "../lib/media";
import type { MediaItem, MediaNameSummary, Run } from "../types";
import { Empty, ErrorMessage, Loading, Options } from "./common";
import { MediaView, StepSlider, useMediaSteps } from "./media";
import "../styles/run.css";

/** Items read per run for one name (the steps of the slider). */
const MAX_ITEMS_PER_RUN = 2000;

/** Image names of the runs, those most runs logged first. */
export function sharedImageNames(namesOfRuns: readonly (readonly MediaNameSummary[])[]): string[] {
  const counts = new Map<string, number>();
  for (const names of namesOfRuns) for (const item of names) if (item.kind === "image") counts.set(item.name, (counts.get(item.name) ?? 0) + 1);
  return [...counts.entries()].sort(([a, countA], [b, countB]) => countB - countA || a.localeCompare(b)).map(([name]) => name);
}

export function CompareMedia({ runs, colors }: { runs: readonly Run[]; colors: Record<string, string> }) {
  const runIds = runs.map((run) => run.id).join(",");
  const names = useAsync(
    () => Promise.all(runs.map((run) => api<{ items: MediaNameSummary[] }>(`/v1/runs/${run.id}/media/names`).then((answer) => answer.items))),
    [runIds],
  );
  const imageNames = useMemo(() => sharedImageNames(names.data ?? []), [names.data]);
  const [chosenName, setChosenName] = useState<string | null>(null);
  const name = chosenName !== null && imageNames.includes(chosenName) ? chosenName : imageNames[0];

  if (names.error && !names.data) return <ErrorMessage error={names.error} onRetry={names.reload} />;
  if (!names.data) return <Loading label="Loading media…" />;
  if (!name) return <Empty>None of these runs logged an image.</Empty>;
  return (
    <div class="compare-media" data-testid="compare-media">
      <div class="toolbar">
        <label>
          Image{" "}
          <select data-testid="compare-media-name" value={name} onChange={(event) => setChosenName((event.target as HTMLSelectElement).value)}>
            <Options values={imageNames} />
          </select>
        </label>
      </div>
      <SideBySide key={name} name={name} runs={runs} colors={colors} />
    </div>
  );
}

function SideBySide({ name, runs, colors }: { name: string; runs: readonly Run[]; colors: Record<string, string> }) {
  const items = useAsync(
    () => Promise.all(runs.map((run) => fetchAll<MediaItem>(`/v1/runs/${run.id}/media`, { name, limit: 100 }, MAX_ITEMS_PER_RUN))).then((lists) => lists.flat()),
    [name, runs.map((run) => run.id).join(",")],
  );
  const media = useMediaSteps(items.data);
  const { list, step, refresh } = media;
  const byRun = firstAtStep(list, step);

  if (items.error && !items.data) return <ErrorMessage error={items.error} onRetry={items.reload} />;
  if (!items.data) return <Loading />;
  return (
    <>
      <StepSlider name={name} media={media} testId="compare-media-step" sliderTestId="compare-media-slider" />
      <div class="compare-media-grid">
        {runs.map((run) => {
          const item = byRun.get(run.id);
          return (
            <div class="compare-media-cell" key={run.id} data-testid="compare-media-cell" data-run-id={run.id} data-has-image={item ? "true" : "false"}>
              <div class="compare-media-run">
                <span class="swatch" style={{ background: colors[run.id] }} aria-hidden="true" /> {run.name}
              </div>
              {item ? <MediaView item={item} onExpired={refresh} /> : <div class="muted media-status">No {name} at step {step}.</div>}
            </div>
          );
        })}
      </div>
    </>
  );
}
