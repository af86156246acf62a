/**
 * The native helper as the native engine uses it. The engine is only chosen when the helper
 * loaded (engine/select.ts), so a null here is a bug, reported as one.
 */
import { type NativeSockets, native, nativeLoadError } from '../../native.js';

export function requireNative(): NativeSockets {
  if (!native) throw new Error(`luasocket: the native engine is in use without its helper (${nativeLoadError})`);
  return native;
}
