/**
 * Running out of descriptors while unreachable sockets still hold some: LuaSocket's Lua
 * garbage collector would eventually close them, and so does ours (the helper closes the
 * descriptors of guards the collector cleared, at its next call), but V8 collects on
 * memory pressure, not on descriptor pressure. On EMFILE/ENFILE the caller forces one full
 * collection and retries (the retried call sweeps first).
 */

import { constants as osConstants } from 'node:os';
import { requireNative } from './addon.js';

const { EMFILE, ENFILE } = osConstants.errno;

let gc: (() => void) | null | undefined;

/** Runs a full garbage collection; false if this runtime does not allow it. */
export function reclaimDescriptors(): boolean {
  if (gc === undefined) {
    try {
      // Loaded here, on the rare EMFILE, not at import (start-up).
      process.getBuiltinModule('node:v8').setFlagsFromString('--expose-gc');
      gc = process.getBuiltinModule('node:vm').runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  if (!gc) return false;
  gc();
  return true;
}

/** dup(fd) for the worker; out of descriptors, collect unreachable sockets and try once more. */
export function dupReclaiming(fd: number): number {
  const n = requireNative();
  const d = n.dup(fd);
  if ((d === -EMFILE || d === -ENFILE) && reclaimDescriptors()) return n.dup(fd);
  return d;
}
