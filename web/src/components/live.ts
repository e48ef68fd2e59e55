// Polling a run (or runs) while live, plus a few more ticks after it ends: the last points land a
// moment after the run finishes, and the page should show them without a reload.
import { useEffect, useRef, useState } from "preact/hooks";
import { usePolling } from "../lib/hooks";

export const LIVE_INTERVAL_MS = 3000;
/** Ticks after a run ended (about 15 s): late points and media still arrive then. */
export const TAIL_TICKS = 5;

export function useLivePolling(tick: () => Promise<void>, live: boolean): void {
  const [tail, setTail] = useState(0);
  const wasLive = useRef(live);
  useEffect(() => {
    if (wasLive.current && !live) setTail(TAIL_TICKS);
    wasLive.current = live;
  }, [live]);
  usePolling(
    async () => {
      await tick();
      if (!live) setTail((left) => Math.max(0, left - 1));
    },
    LIVE_INTERVAL_MS,
    live || tail > 0,
  );
}
