/**
 * Unix-domain paths as LuaSocket takes them: a C string (it ends at the first NUL), in
 * the object's encoding, shorter than sun_path ("path too long" is checked before any
 * system call, so the socket is kept).
 */
import { arg, checkString } from './args.js';
import type { Encoding } from './buffer.js';
import { fromBytes, toBytes } from './codec.js';
import type { UnixAddress } from './engine/types.js';
import { native } from './native.js';

/** sizeof(sun_path) on this platform. */
const SUN_PATH = native?.constants.UNIX_PATH_MAX ?? (process.platform === 'linux' ? 108 : 104);

/** The path argument `i` as an address, or LuaSocket's "path too long". */
export function pathArg(args: ArrayLike<unknown>, i: number, fname: string, encoding: Encoding): UnixAddress | 'path too long' {
  const bytes = toBytes(checkString(arg(args, i), i + 1, fname), encoding);
  const nul = bytes.indexOf(0);
  const path = nul >= 0 ? bytes.subarray(0, nul) : bytes;
  if (path.length >= SUN_PATH) return 'path too long';
  return { family: 'unix', path: Uint8Array.from(path) };
}

/** A path the kernel reported, in the object's encoding. */
export function pathText<D>(path: Uint8Array, encoding: Encoding): D {
  return fromBytes(Buffer.from(path.buffer, path.byteOffset, path.byteLength), encoding, path.buffer) as D;
}
