// Reading downsampled series: asked for as column arrays (a third of the bytes of one object
// per bucket), turned back into buckets for the charts, through the page's request queue.
import { api, type Query } from "./api";
import { seriesRequests } from "./lib/request_queue";
import type { BucketColumns, ComparedSeries, DownsampledSeries, SeriesBucket } from "./types";

export interface SeriesWindow {
  points: number;
  step_min?: number;
  step_max?: number;
}

type WithColumns<T, Key extends string> = Omit<T, Key> & { columns: BucketColumns };

/** Column arrays as bucket objects. */
export function bucketsFromColumns(columns: BucketColumns): SeriesBucket[] {
  return columns.step_start.map((stepStart, index) => {
    const loggedMs = columns.last_logged_ms[index];
    return {
      step_start: stepStart,
      step_end: columns.step_end[index],
      count: columns.count[index],
      min: columns.min[index],
      max: columns.max[index],
      mean: columns.mean[index],
      last: columns.last[index],
      last_step: columns.last_step[index],
      last_logged_at: loggedMs === null ? "" : new Date(loggedMs).toISOString(),
    };
  });
}

function windowQuery(window: SeriesWindow): Query {
  return { points: window.points, step_min: window.step_min, step_max: window.step_max, layout: "columns" };
}

export async function fetchRunSeries(runId: string, name: string, window: SeriesWindow): Promise<DownsampledSeries> {
  const answer = await seriesRequests.run(() =>
    api<WithColumns<DownsampledSeries, "buckets">>(`/v1/runs/${runId}/series`, { query: { name, ...windowQuery(window) } }),
  );
  const { columns, ...rest } = answer;
  return { ...rest, buckets: bucketsFromColumns(columns) };
}

export async function fetchComparedSeries(runIds: string, name: string, window: SeriesWindow): Promise<ComparedSeries> {
  const answer = await seriesRequests.run(() =>
    api<Omit<ComparedSeries, "series"> & { series: { run_id: string; columns: BucketColumns }[] }>("/v1/series", {
      query: { run_ids: runIds, name, ...windowQuery(window) },
    }),
  );
  return {
    ...answer,
    series: answer.series.map((item) => ({ run_id: item.run_id, buckets: bucketsFromColumns(item.columns) })),
  };
}
