/**
 * Waiting on one descriptor in poll(2) on the calling thread (native engine): for room to
 * send, for a connection to settle, for a pending connection on a listener. Long waits are
 * cut in slices so that process.exit never waits on a system call.
 */
import { constants as osConstants } from 'node:os';
import { ErrCode } from '../../protocol.js';
import type { Timeout } from '../../timeout.js';
import { requireNative } from './addon.js';

/** poll(2) event bits as the helper reports them. */
export const POLLIN = 1;
export const POLLOUT = 4;
export const POLLERR = 8;
export const POLLHUP = 16;

const POLL_SLICE_MS = 100;
const { EAGAIN } = osConstants.errno;
/**
 * Largest piece handed to one send(2). Sends over loopback of 64 KiB and more per call ran
 * at half the rate of 32 KiB steps (W4, 2 GiB in 64 KiB chunks: 0.9-1.5 s against 0.5-0.7
 * s; 8 KiB, LuaSocket's step, 0.9 s): the kernel's receive-side work overlaps the next
 * send only when a call stays below the 64 KiB loopback segment.
 */
const MAX_SEND = 1 << 15;

/** Blocks (in poll) until `fd` reports one of `events`, or `deadline` passes. */
export function waitFd(fd: number, events: number, deadline: number): boolean {
  const n = requireNative();
  for (;;) {
    const left = Math.floor(deadline - performance.now());
    const r = n.poll(fd, events, Math.max(0, Math.min(left, POLL_SLICE_MS)));
    if (r > 0) return true;
    if (left <= 0) return false;
  }
}

/** The poll(2) events `fd` reports right now (0 when none, or on failure). */
export function pollNow(fd: number, events: number): number {
  const r = requireNative().poll(fd, events, 0);
  return Math.max(r, 0);
}

/**
 * Sends `data` on `fd`, straight into the kernel: [bytes the kernel accepted, 0 or an
 * ErrCode]. While the kernel's buffer is full it waits for room per the timeout rules.
 */
export function sendAll(fd: number, data: Uint8Array, tm: Timeout): [number, number] {
  const n = requireNative();
  let done = 0;
  while (done < data.length) {
    const r = n.send(fd, data, done, Math.min(data.length - done, MAX_SEND));
    if (r >= 0) {
      done += r;
      continue;
    }
    if (-r !== EAGAIN) return [done, ErrCode.ERRNO_BASE - r];
    if (tm.immediate || !waitFd(fd, POLLOUT, tm.waitDeadline())) return [done, ErrCode.TIMEOUT];
  }
  return [done, 0];
}
