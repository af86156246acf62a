/**
 * The native engine: system calls on the calling thread through the native helper, the
 * I/O worker only for stream reads (and name lookups with a deadline).
 */
import type { Engine } from '../types.js';
import { requireNative } from './addon.js';
import { POLLERR, POLLHUP, pollNow } from './fd-wait.js';
import { NativeDatagram, openNativeDatagram } from './native-dgram.js';
import { nativeDns, nativeResolve } from './native-resolve.js';
import { NativeStream, openNativeStream } from './native-stream.js';
import { NativeUnixStream, openNativeUnixStream } from './native-unix-stream.js';

export const nativeEngine: Engine = {
  name: 'native',
  stream: openNativeStream,
  fromFd: (fd, owner) => new NativeStream(fd, owner),
  udp: (family) => openNativeDatagram(family),
  unixStream: openNativeUnixStream,
  unixDgram: () => openNativeDatagram('unix'),
  datagramFromFd: (fd, family) => new NativeDatagram(fd, family),
  unixStreamFromFd: (fd, owner) => new NativeUnixStream(new NativeStream(fd, owner)),
  resolve: nativeResolve,
  dns: nativeDns,
  collectGarbage() {
    requireNative().reclaim();
  },
  waitFds(fds, events, timeoutMs) {
    requireNative().pollMany(fds, events, timeoutMs);
    return true;
  },
  pollFd(fd, events) {
    requireNative();
    return (pollNow(fd, events) & (events | POLLERR | POLLHUP)) !== 0;
  },
};
