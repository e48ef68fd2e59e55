// The user's chart layout of a project, kept by the API (one per user and project), and the hook
// that loads it and saves each change shortly after it is made.
import { useMutation } from "@tanstack/preact-query";
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "./api";
import { useAsync } from "./lib/hooks";
import { normalizeLayout, type Layout, type LayoutBody, type SavedLayout } from "./lib/layout";

export function fetchLayout(projectId: string): Promise<SavedLayout> {
  return api<SavedLayout>(`/v1/projects/${projectId}/layout`).then(normalizeLayout);
}

export function saveLayout(projectId: string, layout: Layout): Promise<SavedLayout> {
  const { panels, group_by, group_band } = layout;
  const body: LayoutBody = { panels, group_by, group_band };
  return api<SavedLayout>(`/v1/projects/${projectId}/layout`, { method: "PUT", body });
}

export type SaveState = "idle" | "saving" | "saved" | "error";

export interface ProjectLayout {
  /** The saved layout (undefined while loading). */
  layout: SavedLayout | undefined;
  error: unknown;
  saveState: SaveState;
  saveError: unknown;
  /** Show `layout` now and save it (changes in quick succession are saved once). */
  change: (layout: Layout) => void;
}

const SAVE_DELAY_MS = 400;

export function useProjectLayout(projectId: string | undefined): ProjectLayout {
  const loaded = useAsync(() => (projectId ? fetchLayout(projectId) : Promise.resolve(undefined)), [projectId]);
  // the state of the last save asked for (an older one answering late does not count)
  const save = useMutation({ mutationFn: ({ id, layout }: { id: string; layout: Layout }) => saveLayout(id, layout) });
  const [waiting, setWaiting] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, [projectId]);

  const change = (layout: Layout) => {
    if (!projectId) return;
    loaded.setData({ ...layout, updated_at: loaded.data?.updated_at ?? null });
    if (timer.current) clearTimeout(timer.current);
    setWaiting(true);
    timer.current = setTimeout(() => {
      setWaiting(false);
      save.mutate({ id: projectId, layout });
    }, SAVE_DELAY_MS);
  };

  const saveState: SaveState = waiting || save.isPending ? "saving" : save.isError ? "error" : save.isSuccess ? "saved" : "idle";
  return { layout: loaded.data, error: loaded.error, saveState, saveError: save.error, change };
}
