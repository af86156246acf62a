/**
 * LuaSocket's timeout algorithm (spec section 4), in one place. Each object has a block
 * and a total timeout in seconds (negative = none). Every blocking call marks its start;
 * each wait inside it is limited by `waitLimit()`.
 */

/** Wall-clock seconds, as socket.gettime() reports them. */
export function gettime(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

export class Timeout {
  block = -1;
  total = -1;
  /** performance.now() at the start of the current operation; -1 until first needed. */
  private start = -1;

  /**
   * Starts (or restarts) the operation clock. The clock is read lazily, at the first
   * wait: a call that never waits never pays for reading it, and the few microseconds
   * between the call's start and its first wait are not observable.
   */
  markStart(): void {
    this.start = -1;
  }

  /** True when a wait would fail at once: block is exactly 0. */
  get immediate(): boolean {
    return this.block === 0;
  }

  /**
   * The deadline (a performance.now() value) for a wait that begins now, or Infinity.
   * With only `block` set it is counted from the start of the call, so it acts as a
   * per-call limit (observed on 3.1.0); with both set, `block` bounds each wait and
   * `total` the whole call. Waits are whole milliseconds, truncated, as LuaSocket's are.
   */
  waitDeadline(): number {
    const now = performance.now();
    if (this.start < 0) this.start = now;
    const elapsed = (now - this.start) / 1000;
    let left: number;
    if (this.block < 0 && this.total < 0) return Number.POSITIVE_INFINITY;
    if (this.block < 0) left = Math.max(this.total - elapsed, 0);
    else if (this.total < 0) left = Math.max(this.block - elapsed, 0);
    else left = Math.min(this.block, Math.max(this.total - elapsed, 0));
    return now + Math.floor(left * 1000);
  }
}
