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

export function useWorkspaceId(): string | null {
  const [id, setId] = useState(currentWorkspaceId);
  useEffect(() => {
    listeners.add(setId);
    return () => void listeners.delete(setId);
  }, []);
  return id;
}
