// The one place the run table reads a project's runs from: the server searches, sorts and pages
// (GET /v1/projects/{id}/runs with `filter=`, `sort=` and `cursor`), and a live refresh asks
// only for what may have changed (the first page, and the live runs already shown, by id).
import { api, type Page, type Query } from "./api";
import { PROBLEM_STATUS, isActive, parseColumnKey, type ColumnKey, type RunFilters, type SortSpec } from "./lib/run_table";
import type { Run } from "./types";

/** Runs asked for per page (the table shows more as it is scrolled). */
export const PAGE_SIZE = 100;
/** At most this many ids per POST /v1/runs/batch-get (the API's limit). */
const BATCH_GET_LIMIT = 100;

/** What the table searches for: its filters (from the URL) and its sort. */
export interface RunSearch {
  filters: RunFilters;
  sort: SortSpec | null;
}

/** Field names the server's filter language takes as they are. */
const PLAIN_FIELD = /^[A-Za-z0-9_./:-]+$/;

/** The server's sort field for a column, or null when the server cannot sort by it (tags,
 * duration, or a key with characters a field name cannot have). */
export function serverSortField(key: ColumnKey): string | null {
  const { kind, name } = parseColumnKey(key);
  if (kind === "config" || kind === "summary") return PLAIN_FIELD.test(name) ? `${kind}.${name}` : null;
  switch (name) {
    case "name":
      return "name";
    case "status":
      return "status";
    case "created":
      return "created_at";
    default:
      return null;
  }
}

/** The statuses a status filter stands for (none: any). */
export function statusesOf(filter: string | undefined): string[] {
  if (!filter || filter === "all") return [];
  if (filter === PROBLEM_STATUS) return ["failed", "crashed"];
  return [filter];
}

/** The listing's query parameters for a search (without paging). The query box's text goes to
 * the server as it is: the server's language is a superset of the box's `key<op>value` conditions. */
export function searchParameters(search: RunSearch): Query {
  const { filters, sort } = search;
  const field = sort ? serverSortField(sort.key) : null;
  return {
    name_contains: filters.name?.trim() || undefined,
    status: statusesOf(filters.status),
    tag: filters.tag?.trim() ? [filters.tag.trim()] : undefined,
    filter: filters.query?.trim() || undefined,
    sort: field && sort ? `${sort.direction === "desc" ? "-" : ""}${field}` : undefined,
  };
}

/** One page of the search, from `cursor` (null: the first). */
export function fetchRunPage(projectId: string, search: RunSearch, cursor: string | null, limit = PAGE_SIZE): Promise<Page<Run>> {
  return api<Page<Run>>(`/v1/projects/${projectId}/runs`, { query: { ...searchParameters(search), limit, cursor } });
}

/** Runs by id, as they are now (deleted ones are left out). */
export async function fetchRunsById(ids: readonly string[]): Promise<Run[]> {
  const found: Run[] = [];
  for (let start = 0; start < ids.length; start += BATCH_GET_LIMIT) {
    const body = { ids: ids.slice(start, start + BATCH_GET_LIMIT) };
    found.push(...(await api<{ items: Run[] }>("/v1/runs/batch-get", { method: "POST", body })).items);
  }
  return found;
}

/**
 * The loaded pages after a live refresh: the fresh first page, then the runs loaded after it (each
 * replaced by its fresh copy when there is one) without those the first page now holds. The last
 * page's cursor stays, so scrolling goes on where it was.
 */
export function mergeRefresh(pages: readonly Page<Run>[], firstPage: Page<Run>, updated: readonly Run[]): Page<Run>[] {
  if (!pages.length) return [firstPage];
  const fresh = new Map(updated.map((run) => [run.id, run]));
  const inFirst = new Set(firstPage.items.map((run) => run.id));
  const rest = pages.slice(1).map((page) => ({
    ...page,
    items: page.items.filter((run) => !inFirst.has(run.id)).map((run) => fresh.get(run.id) ?? run),
  }));
  const first = pages.length === 1 ? firstPage : { ...firstPage, next_cursor: pages[0].next_cursor };
  return [first, ...rest];
}

/** A live refresh: the first page again, and the live runs loaded beyond it, by id. */
export async function refreshRunPages(projectId: string, search: RunSearch, pages: readonly Page<Run>[]): Promise<(current: readonly Page<Run>[]) => Page<Run>[]> {
  const firstPage = await fetchRunPage(projectId, search, null, Math.max(PAGE_SIZE, pages[0]?.items.length ?? 0));
  const inFirst = new Set(firstPage.items.map((run) => run.id));
  const liveIds = pages
    .slice(1)
    .flatMap((page) => page.items)
    .filter((run) => isActive(run.status) && !inFirst.has(run.id))
    .map((run) => run.id);
  const updated = liveIds.length ? await fetchRunsById(liveIds) : [];
  return (current) => mergeRefresh(current, firstPage, updated);
}
