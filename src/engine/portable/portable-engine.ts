/**
 * The portable engine: the I/O worker owns every socket through node:net, so the package
 * runs wherever Node runs, with no native helper. Control calls are worker round trips;
 * data calls use the shared rings.
 */
import { NOT_SUPPORTED } from '../../errors.js';
import type { Engine } from '../types.js';
import { PortableDatagram } from './portable-dgram.js';
import { portableDns } from './portable-dns.js';
import { portableResolve } from './portable-resolve.js';
import { PortableStream } from './portable-stream.js';
import { PortableUnixStream } from './portable-unix-stream.js';

export const portableEngine: Engine = {
  name: 'portable',
  stream: (family, owner) => new PortableStream(family, owner),
  fromFd(fd, owner) {
    // node:net cannot take over a descriptor from the calling thread: the object reports
    // the number it was given and has no socket to act on.
    const h = new PortableStream(4, owner);
    h.setfd(fd);
    h.close();
    return h;
  },
  udp: (family) => new PortableDatagram(family),
  unixStream: (owner) => new PortableUnixStream(new PortableStream(4, owner)),
  // node:dgram has no unix-domain datagram sockets.
  unixDgram: () => NOT_SUPPORTED,
  datagramFromFd(fd, family) {
    // node:dgram cannot take over a descriptor from the calling thread either.
    const h = new PortableDatagram(family === 6 ? 6 : 4);
    h.setfd(fd);
    h.close();
    return h;
  },
  unixStreamFromFd(fd, owner) {
    const h = new PortableUnixStream(new PortableStream(4, owner));
    h.setfd(fd);
    h.close();
    return h;
  },
  resolve: portableResolve,
  dns: portableDns,
  pollFd: () => false,
  waitFds: () => false,
  // FinalizationRegistry callbacks run on the next event-loop turn; nothing to do on the spot.
  collectGarbage: () => {},
};
