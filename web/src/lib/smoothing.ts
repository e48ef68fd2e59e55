// Exponential moving average as TensorBoard draws it: debiased so the first points are not pulled to 0.

/** The heaviest smoothing there is: at 1 the line would never move. */
export const MAX_SMOOTHING = 0.99;

/**
 * Smooth `values` with weight `weight` (0 = none, 0.99 = very smooth).
 * `null` and non-finite values are gaps: they stay as they are (null / NaN / ±Infinity) and do
 * not disturb the average of the finite points around them.
 */
export function emaSmooth(values: readonly (number | null | undefined)[], weight: number): (number | null | undefined)[] {
  const w = clampWeight(weight);
  if (w === 0) return values.slice();
  let last = 0;
  let accumulated = 0;
  return values.map((value) => {
    if (value === null || value === undefined || !Number.isFinite(value)) return value;
    last = last * w + (1 - w) * value;
    accumulated += 1;
    const debias = 1 - Math.pow(w, accumulated);
    return last / debias;
  });
}

/** The weight within [0, 0.99]; anything unreadable is 0. */
export function clampWeight(weight: number): number {
  if (!Number.isFinite(weight) || weight <= 0) return 0;
  return Math.min(MAX_SMOOTHING, weight);
}
