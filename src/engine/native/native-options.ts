/**
 * Socket options on the native engine: setsockopt(2) / getsockopt(2) on the real socket
 * through the native helper. Names and values were checked by options.ts already.
 */
import { errnoText, NOT_SUPPORTED } from '../../errors.js';
import type { NativeConstants } from '../../native.js';
import type { OptionName, OptionRead, OptionValue } from '../types.js';
import { requireNative } from './addon.js';

type Key = keyof NativeConstants;

/** Level and name of each option, as constants of the helper (absent where the platform lacks them). */
const SOCKOPT: Record<OptionName, [Key, Key]> = {
  keepalive: ['SOL_SOCKET', 'SO_KEEPALIVE'],
  reuseaddr: ['SOL_SOCKET', 'SO_REUSEADDR'],
  reuseport: ['SOL_SOCKET', 'SO_REUSEPORT'],
  'tcp-nodelay': ['IPPROTO_TCP', 'TCP_NODELAY'],
  'tcp-keepidle': ['IPPROTO_TCP', 'TCP_KEEPIDLE'],
  'tcp-keepcnt': ['IPPROTO_TCP', 'TCP_KEEPCNT'],
  'tcp-keepintvl': ['IPPROTO_TCP', 'TCP_KEEPINTVL'],
  linger: ['SOL_SOCKET', 'SO_LINGER'],
  error: ['SOL_SOCKET', 'SO_ERROR'],
  'recv-buffer-size': ['SOL_SOCKET', 'SO_RCVBUF'],
  'send-buffer-size': ['SOL_SOCKET', 'SO_SNDBUF'],
  'ipv6-v6only': ['IPPROTO_IPV6', 'IPV6_V6ONLY'],
  'tcp-defer-accept': ['IPPROTO_TCP', 'TCP_DEFER_ACCEPT'],
  'tcp-fastopen': ['IPPROTO_TCP', 'TCP_FASTOPEN'],
  'tcp-fastopen-connect': ['IPPROTO_TCP', 'TCP_FASTOPEN_CONNECT'],
};

const BOOLEAN: ReadonlySet<OptionName> = new Set(['keepalive', 'reuseaddr', 'reuseport', 'tcp-nodelay', 'ipv6-v6only']);

/** [level, name] for setsockopt, or null where this platform lacks the option. */
function sockopt(name: OptionName): [number, number] | null {
  const c = requireNative().constants;
  const [l, n] = SOCKOPT[name];
  const level = c[l];
  const opt = c[n];
  return typeof level === 'number' && typeof opt === 'number' ? [level, opt] : null;
}

export function getNativeOption(fd: number, name: OptionName): OptionRead {
  const so = sockopt(name);
  if (!so) return { err: NOT_SUPPORTED };
  if (fd < 0) return { err: 'getsockopt failed' };
  const n = requireNative();
  if (name === 'linger') {
    const [err, on, seconds] = n.getLinger(fd);
    return err ? { err: 'getsockopt failed' } : { value: { on, seconds } };
  }
  if (name === 'error') {
    const v = n.getSocketError(fd);
    if (v < 0) return { err: 'getsockopt failed' };
    return v === 0 ? { none: true } : { value: errnoText(v) };
  }
  const [err, v] = n.getsockoptInt(fd, so[0], so[1]);
  if (err) return { err: 'getsockopt failed' };
  return { value: BOOLEAN.has(name) ? v !== 0 : v };
}

export function setNativeOption(fd: number, name: OptionName, value: OptionValue): string | null {
  const so = sockopt(name);
  if (!so) return NOT_SUPPORTED;
  if (fd < 0) return 'setsockopt failed';
  const n = requireNative();
  let rc: number;
  if (typeof value === 'object') rc = n.setLinger(fd, value.on, value.seconds);
  else rc = n.setsockoptInt(fd, so[0], so[1], typeof value === 'boolean' ? (value ? 1 : 0) : value);
  return rc === 0 ? null : 'setsockopt failed';
}
