/**
 * Which engine runs: the native one when its helper loads, otherwise the portable one.
 * `LUASOCKET_ENGINE=native|portable` forces one; forcing the native engine where its
 * helper cannot load is an error at import, with the reason.
 */
import { native, nativeLoadError } from '../native.js';
import { nativeEngine } from './native/native-engine.js';
import { portableEngine } from './portable/portable-engine.js';
import type { Engine } from './types.js';

function choose(): Engine {
  const forced = process.env.LUASOCKET_ENGINE ?? '';
  if (forced === 'portable') return portableEngine;
  if (forced === 'native') {
    if (native === null) throw new Error(`luasocket: LUASOCKET_ENGINE=native, but the native helper cannot load: ${nativeLoadError}`);
    return nativeEngine;
  }
  if (forced !== '') throw new Error(`luasocket: LUASOCKET_ENGINE must be 'native' or 'portable', not '${forced}'`);
  return native !== null ? nativeEngine : portableEngine;
}

/** The engine every object of this process uses. */
export const engine: Engine = choose();
