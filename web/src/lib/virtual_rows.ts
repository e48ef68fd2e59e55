// Which rows of a long list to put in the DOM: those in view in a scrolled container, plus a few
// either side, with the height of the rows left out above and below (pure; the hook measures).

export interface RowWindow {
  start: number;
  end: number;
  /** Pixels of the rows before `start` and from `end` on. */
  before: number;
  after: number;
}

/** Rows [start, end) that show when `scrollTop` px of `count` rows of `rowHeight` px are scrolled past
 * in a viewport `viewportHeight` px high (`offset`: px of the container above the first row). */
export function rowWindow(count: number, rowHeight: number, scrollTop: number, viewportHeight: number, overscan = 10, offset = 0): RowWindow {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, before: 0, after: 0 };
  const top = Math.max(0, scrollTop - offset);
  const first = Math.min(count - 1, Math.floor(top / rowHeight));
  const shown = Math.ceil(Math.max(viewportHeight, rowHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + shown + overscan);
  return { start, end, before: start * rowHeight, after: (count - end) * rowHeight };
}
