// The one place the run table reads a project's runs from (so that searching, sorting and paging
// can move to the server without touching the pages).
import { fetchAll } from "./api";
import type { Run } from "./types";

/** Runs fetched per request. */
const PAGE_SIZE = 500;

/** Every run of the project (filtered and sorted in the page). */
export function fetchProjectRuns(projectId: string): Promise<Run[]> {
  return fetchAll<Run>(`/v1/projects/${projectId}/runs`, { limit: PAGE_SIZE });
}
