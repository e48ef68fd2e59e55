// The workspace the user is looking at, remembered across reloads.
import { useEffect, useState } from "preact/hooks";

const STORAGE_KEY = "wavedb.workspace";
const listeners = new Set<(id: string | null) => void>();

export function currentWorkspaceId(): string | null {
  return localStorage.getItem(STORAGE_KEY);
}

export function selectWorkspace(id: string | null): void {
  if (id) localStorage.setItem(STORAGE_KEY, id);
  else localStorage.removeItem(STORAGE_KEY);
  for (const listener of listeners) listener(id);
}

/** Make `id` the current workspace (the top bar's switcher follows) once it is known. */
export function useFollowWorkspace(id: string | undefined): void {
  useEffect(() => {
    if (id && id !== currentWorkspaceId()) selectWorkspace(id);
  }, [id]);
}

export function useWorkspaceId(): string | null {
  const [id, setId] = useState(currentWorkspaceId);
  useEffect(() => {
    listeners.add(setId);
    return () => void listeners.delete(setId);
  }, []);
  return id;
}
