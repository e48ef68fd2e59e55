// Loading data in components (through the query library: newest answer wins, errors kept), polling;
// and actions (form submits, button presses) with their busy flag and error.
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/preact-query";
import { useCallback, useEffect, useId, useRef, useState } from "preact/hooks";

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (data: T) => void;
}

/** Run `load` when `deps` change; a newer call wins over an older one that answers late (the
 * query library keys each load by its component and `deps`, and drops answers of old keys). While a
 * new load runs, the data of the previous one stays. */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): Async<T> {
  const client = useQueryClient();
  const instance = useId();
  const loadRef = useRef(load);
  loadRef.current = load;
  const queryKey = ["async", instance, ...deps];
  // boxed: a load may answer undefined (nothing to load yet), which the library does not store
  const query = useQuery<{ value: T }>({
    queryKey,
    queryFn: async () => ({ value: await loadRef.current() }),
    placeholderData: keepPreviousData,
  });

  const reload = useCallback(async () => {
    await query.refetch();
  }, [query.refetch]);

  // A page's own change (an item it just created or removed) is newer than any load still in
  // flight, which was asked before it: that load is cancelled, and its answer never lands.
  const replace = (value: T) => {
    client.setQueryData<{ value: T }>(queryKey, { value });
    void client.cancelQueries({ queryKey, exact: true });
  };

  return { data: query.data?.value, error: query.error ?? undefined, loading: query.isFetching, reload, setData: replace };
}

/** Call `tick` every `intervalMs` while `active`, never two at once, paused in hidden tabs. */
export function usePolling(tick: () => Promise<void> | void, intervalMs: number, active: boolean): void {
  const tickRef = useRef(tick);
  tickRef.current = tick;
  useEffect(() => {
    if (!active) return undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const loop = async () => {
      if (stopped) return;
      if (document.visibilityState !== "hidden") {
        try {
          await tickRef.current();
        } catch {
          // the next tick tries again; the page shows its own errors
        }
      }
      if (!stopped) timer = setTimeout(loop, intervalMs);
    };
    timer = setTimeout(loop, intervalMs);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [intervalMs, active]);
}

export interface Action<A extends unknown[]> {
  /** Run the action; resolves to whether it succeeded (a failure is kept in `error`, never thrown). */
  run: (...args: A) => Promise<boolean>;
  busy: boolean;
  /** What the last failed run threw, `null` once cleared. */
  error: unknown;
}

/**
 * `busy` and `error` for an action the user starts: `busy` is set while it runs, a failure lands in
 * `error`. The old error is cleared when a run starts, or with `clearError: "on-success"` only once a
 * run succeeds (for inline retries that keep the message up meanwhile). An action that navigates
 * away or removes its own component resolves to "stay-busy": busy then stays set, so its button is
 * not enabled again while the page changes.
 */
export function useAction<A extends unknown[]>(
  action: (...args: A) => Promise<void | "stay-busy">,
  { clearError = "on-start" }: { clearError?: "on-start" | "on-success" } = {},
): Action<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (...args: A): Promise<boolean> => {
    setBusy(true);
    if (clearError === "on-start") setError(null);
    let stayBusy = false;
    try {
      stayBusy = (await action(...args)) === "stay-busy";
      if (clearError === "on-success") setError(null);
      return true;
    } catch (caught) {
      setError(caught);
      return false;
    } finally {
      if (!stayBusy) setBusy(false);
    }
  };
  return { run, busy, error };
}

/** A form's `onSubmit`: keeps the browser from sending the form itself, and runs `action` only when `ready`. */
export function submitWhen(ready: boolean, action: () => Promise<unknown>): (event: Event) => void {
  return (event) => {
    event.preventDefault();
    if (ready) void action();
  };
}
