/**
 * Small statistics over samples: nearest-rank percentiles, medians, and a
 * distribution-free confidence interval for a median (order statistics), which is what
 * the verdicts are judged on.
 */

/** Nearest-rank percentile of `values` (need not be sorted). NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/**
 * Percentile of samples taken with a coarse clock, each a multiple of `width` give or take
 * rounding (LuaSocket's gettime() ticks in whole microseconds, a fifth of a loopback round
 * trip). A tick-quantized sample of a true duration d reads floor(d) or ceil(d) with the
 * clock's random phase, so the samples are grouped data: the percentile is interpolated
 * inside its 1-tick class instead of snapping to a tick. With width 0, `percentile`.
 */
export function groupedPercentile(values: readonly number[], p: number, width: number): number {
  if (!(width > 0)) return percentile(values, p);
  if (values.length === 0) return Number.NaN;
  const classes = new Map<number, number>();
  for (const v of values) {
    const k = Math.round(v / width);
    classes.set(k, (classes.get(k) ?? 0) + 1);
  }
  const rank = (p / 100) * values.length;
  let below = 0;
  for (const [k, f] of [...classes].sort((a, b) => a[0] - b[0])) {
    if (below + f >= rank) return (k - 0.5 + (rank - below) / f) * width;
    below += f;
  }
  return percentile(values, p);
}

/** The middle value, or the mean of the middle two. NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** A median with the interval the verdicts use as its spread. */
export interface Spread {
  median: number;
  /** Lower and upper end of the interval (order statistics of the samples). */
  lo: number;
  hi: number;
  /** The interval's coverage for the true median (e.g. 0.94), 0 with fewer than 2 samples. */
  confidence: number;
  n: number;
  samples: number[];
}

/** The smallest coverage the interval aims for. */
export const MIN_CONFIDENCE = 0.9;

function binomialHalf(n: number): number[] {
  // P(X = i) for X ~ Binomial(n, 1/2), i = 0..n.
  const p: number[] = [];
  let c = 1;
  for (let i = 0; i <= n; i++) {
    p.push(c / 2 ** n);
    c = (c * (n - i)) / (i + 1);
  }
  return p;
}

/**
 * The sign-test interval for the median: [x(k), x(n+1-k)] of the sorted samples holds
 * the true median with probability 1 - 2 P(X < k), X ~ Binomial(n, 1/2), whatever the
 * distribution. k is the largest for which that is still >= MIN_CONFIDENCE (k = 1, the
 * full range, when even that falls short: 5 samples give [min, max] at 94%).
 */
export function spreadOf(values: readonly number[]): Spread {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { median: Number.NaN, lo: Number.NaN, hi: Number.NaN, confidence: 0, n, samples: [] };
  const p = binomialHalf(n);
  let k = 1;
  let below = 0;
  for (let j = 1; j <= n >> 1; j++) {
    below += p[j - 1] as number;
    if (1 - 2 * below >= MIN_CONFIDENCE) k = j;
    else break;
  }
  let tail = 0;
  for (let i = 0; i < k; i++) tail += p[i] as number;
  const confidence = n < 2 ? 0 : Math.max(0, 1 - 2 * tail);
  return { median: median(s), lo: s[k - 1] as number, hi: s[n - k] as number, confidence, n, samples: [...values] };
}
