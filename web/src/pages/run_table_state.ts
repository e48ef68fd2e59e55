// The run table's state: the project, its runs (searched, sorted and paged by the server, the first
// page and the live runs refreshed while one is live), the filters and sort from the URL, the chosen columns (kept per project in this browser) and the selection, with
// everything derived from them for the view (pages/run_table.tsx).
import { keepPreviousData, useInfiniteQuery, useQueryClient, type InfiniteData } from "@tanstack/preact-query";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, api, type Page } from "../api";
import { useAsync, usePolling } from "../lib/hooks";
import {
  allTags,
  compareSelection,
  defaultColumns,
  discoverColumns,
  formatSort,
  isActive,
  isNumericColumn,
  nextSort,
  parseSavedColumns,
  parseSort,
  toRows,
  type ColumnKey,
} from "../lib/run_table";
import { updateQuery } from "../router";
import { fetchRunPage, refreshRunPages, serverSortField, type RunSearch } from "../run_search";
import type { Project, Run, Workspace } from "../types";
import { useFollowWorkspace } from "../workspace";

export const REFRESH_MS = 5000;

function columnsStorageKey(projectId: string): string {
  return `wavedb.runTable.columns.${projectId}`;
}

function loadColumns(projectId: string): ColumnKey[] | null {
  try {
    return parseSavedColumns(localStorage.getItem(columnsStorageKey(projectId)));
  } catch {
    return null;
  }
}

function saveColumns(projectId: string, columns: ColumnKey[] | null): void {
  try {
    if (columns) localStorage.setItem(columnsStorageKey(projectId), JSON.stringify(columns));
    else localStorage.removeItem(columnsStorageKey(projectId));
  } catch {
    // private mode or full storage: the choice lasts until reload
  }
}

/** A search the server turned down (a malformed filter, an unknown field): said next to the query box. */
export function searchProblem(error: unknown): string | null {
  if (error instanceof ApiError && error.status === 400) return error.message;
  return null;
}

type RunPages = InfiniteData<Page<Run>, string | null>;

export function useRunTableState(projectId: string, query: URLSearchParams) {
  const project = useAsync(() => api<Project>(`/v1/projects/${projectId}`), [projectId]);
  const workspaceId = project.data?.workspace_id;
  const workspace = useAsync(
    () => (workspaceId ? api<Workspace>(`/v1/workspaces/${workspaceId}`) : Promise.resolve(undefined)),
    [workspaceId],
  );
  // The top bar's workspace switcher follows the project's workspace (links shared from another one).
  useFollowWorkspace(workspaceId);
  const [refreshError, setRefreshError] = useState<unknown>(null);
  const [refreshedAt, setRefreshedAt] = useState<number | null>(null);
  const [savedColumns, setSavedColumns] = useState<ColumnKey[] | null>(() => loadColumns(projectId));
  const [selected, setSelected] = useState<Set<string>>(() => new Set());

  const filters = {
    name: query.get("name") ?? "",
    status: query.get("status") ?? "",
    tag: query.get("tag") ?? "",
    query: query.get("q") ?? "",
  };
  const sort = parseSort(query.get("sort"));
  const search: RunSearch = { filters, sort: sort && serverSortField(sort.key) ? sort : null };

  const client = useQueryClient();
  const runsKey = ["run-search", projectId, filters.name, filters.status, filters.tag, filters.query, formatSort(search.sort) ?? ""];
  const runQuery = useInfiniteQuery<Page<Run>, unknown, RunPages, unknown[], string | null>({
    queryKey: runsKey,
    queryFn: ({ pageParam }) => fetchRunPage(projectId, search, pageParam),
    initialPageParam: null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  // The sort the rows shown are in: the header says a new sort once the server's rows for it are here.
  const shownSort = useRef(search.sort);
  if (runQuery.data && !runQuery.isPlaceholderData) shownSort.current = search.sort;
  const loadedRuns = useMemo(() => runQuery.data?.pages.flatMap((page) => page.items), [runQuery.data]);
  const problem = searchProblem(runQuery.error);
  const runs = {
    data: problem ? [] : loadedRuns,
    error: problem ? undefined : runQuery.error ?? undefined,
    reload: async () => {
      await runQuery.refetch();
    },
  };
  const hasMore = !problem && Boolean(runQuery.hasNextPage);
  const loadMore = () => {
    if (runQuery.hasNextPage && !runQuery.isFetchingNextPage && !runQuery.isFetching) void runQuery.fetchNextPage();
  };

  const anyActive = runs.data?.some((run) => isActive(run.status)) ?? false;
  usePolling(
    async () => {
      const pages = runQuery.data?.pages;
      if (!pages || runQuery.isFetching) return;
      try {
        const update = await refreshRunPages(projectId, search, pages);
        client.setQueryData<RunPages>(runsKey, (current) => {
          if (!current) return current;
          const next = update(current.pages);
          return { pages: next, pageParams: next.length === current.pageParams.length ? current.pageParams : [null] };
        });
        setRefreshError(null);
        setRefreshedAt(Date.now());
      } catch (caught) {
        setRefreshError(caught);
      }
    },
    REFRESH_MS,
    anyActive,
  );

  const rows = useMemo(() => toRows(runs.data ?? []), [runs.data]);
  const discovered = useMemo(() => discoverColumns(rows), [rows]);
  const tags = useMemo(() => allTags(rows), [rows]);
  const chosenColumns = savedColumns ?? defaultColumns(discovered);
  const columns = useMemo(() => {
    const known = new Set([
      ...discovered.config.map((item) => `config:${item.key}`),
      ...discovered.summary.map((item) => `summary:${item.key}`),
    ]);
    return chosenColumns.filter((key) => known.has(key));
  }, [chosenColumns.join("\u0000"), discovered]);
  const numericColumns = useMemo(() => new Set(columns.filter((key) => isNumericColumn(rows, key))), [columns, rows]);
  const filterErrors = problem ? [problem] : [];
  const visibleIds = useMemo(() => rows.map((row) => row.run.id), [rows]);
  const visibleRuns = useMemo(() => rows.map((row) => row.run), [rows]);
  const showCharts = query.get("charts") === "1";

  // Forget selected runs that no longer exist (deleted elsewhere); keep the rest across refreshes.
  useEffect(() => {
    if (!runs.data || hasMore) return;
    const ids = new Set(runs.data.map((run) => run.id));
    setSelected((current) => {
      const kept = [...current].filter((id) => ids.has(id));
      return kept.length === current.size ? current : new Set(kept);
    });
  }, [runs.data]);

  const comparison = compareSelection(selected, visibleIds);
  const filtersActive = Boolean(filters.name || filters.status || filters.tag || filters.query);

  const setColumns = (next: ColumnKey[] | null) => {
    setSavedColumns(next);
    saveColumns(projectId, next);
  };
  const clearFilters = () => updateQuery({ name: undefined, status: undefined, tag: undefined, q: undefined });
  const onSort = (key: ColumnKey) => {
    if (serverSortField(key)) updateQuery({ sort: formatSort(nextSort(sort, key)) });
  };
  const onSelect = (id: string, checked: boolean) => {
    setSelected((current) => {
      const next = new Set(current);
      if (checked) next.add(id);
      else next.delete(id);
      return next;
    });
  };
  const onSelectAll = (checked: boolean) => {
    setSelected((current) => {
      const next = new Set(current);
      for (const id of visibleIds) {
        if (checked) next.add(id);
        else next.delete(id);
      }
      return next;
    });
  };

  return {
    project,
    workspace,
    runs,
    refreshError,
    refreshedAt,
    selected,
    setSelected,
    filters,
    sort: shownSort.current,
    anyActive,
    rows,
    hasMore,
    loadMore,
    searching: runQuery.isFetching && !runQuery.isFetchingNextPage,
    discovered,
    tags,
    columns,
    numericColumns,
    filterErrors,
    visibleIds,
    visibleRuns,
    showCharts,
    comparison,
    filtersActive,
    setColumns,
    clearFilters,
    onSort,
    onSelect,
    onSelectAll,
  };
}

export type RunTableState = ReturnType<typeof useRunTableState>;
