/**
 * Name lookups for the caller (Node's resolver runs getaddrinfo / getnameinfo in libuv's
 * thread pool, so the worker never blocks): connect/bind with a deadline on either engine,
 * and socket.dns on the portable engine.
 */
import dns from 'node:dns';
import { lookupErrorText } from '../src/errors.js';
import type { Command, Reply } from '../src/protocol.js';

export function lookup(cmd: Extract<Command, { op: 'lookup' }>, reply: (r: Reply) => void): void {
  dns.lookup(cmd.host, { all: true, family: cmd.family, verbatim: true }, (err, addresses) => {
    if (err) reply({ rid: cmd.rid, ok: false, lookupError: lookupErrorText(err) });
    else
      reply({
        rid: cmd.rid,
        ok: true,
        addresses: addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })),
      });
  });
}

export function lookupService(cmd: Extract<Command, { op: 'lookup-service' }>, reply: (r: Reply) => void): void {
  dns.lookupService(cmd.address, cmd.port, (err, host) => {
    reply({ rid: cmd.rid, service: err ? { lookupError: lookupErrorText(err) } : { host } });
  });
}
