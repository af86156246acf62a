/**
 * socket.dns (spec 7.6) against LuaSocket 3.1.0 (spec 11 p10; re-checked with lua5.4 on this
 * machine, whose /etc/hosts maps localhost to 127.0.0.1). Only names from /etc/hosts and
 * numeric addresses are looked up, plus one name under the reserved '.invalid' top-level
 * domain (RFC 6761), which can never resolve.
 */
import { hostname } from 'node:os';
import test from 'ava';
import * as socket from '../src/index.js';

const { dns } = socket;
type LooseFn = (...a: unknown[]) => unknown;

test.serial("toip('localhost') gives 127.0.0.1 and the host entry", (t) => {
  const r = dns.toip('localhost');
  t.is(r.length, 2);
  const [ip, info] = r;
  t.is(ip, '127.0.0.1');
  if (!info || typeof info === 'string') return t.fail('no host entry');
  t.is(info.name, 'localhost');
  t.true(info.ip.includes('127.0.0.1'));
  t.true(info.ip.every((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)));
  t.true(Array.isArray(info.alias) && info.alias.every((a) => typeof a === 'string'));
});

test.serial("toip('127.0.0.1') does a reverse lookup: the address and localhost's entry", (t) => {
  t.deepEqual(dns.toip('127.0.0.1'), ['127.0.0.1', { name: 'localhost', alias: [], ip: ['127.0.0.1'] }]);
  // inet_aton's short form is an address too.
  t.deepEqual(dns.toip('127.1'), ['127.0.0.1', { name: 'localhost', alias: [], ip: ['127.0.0.1'] }]);
});

test.serial('tohostname gives the canonical name', (t) => {
  t.deepEqual(dns.tohostname('127.0.0.1'), ['localhost', { name: 'localhost', alias: [], ip: ['127.0.0.1'] }]);
  const r = dns.tohostname('localhost');
  t.is(r[0], 'localhost');
  const info = r[1];
  if (!info || typeof info === 'string') return t.fail('no host entry');
  t.is(info.name, 'localhost');
  t.true(info.ip.includes('127.0.0.1'));
});

test.serial("toip('nonexistent.invalid') -> [null, 'host not found']", (t) => {
  t.deepEqual(dns.toip('nonexistent.invalid'), [null, 'host not found']);
  t.deepEqual(dns.tohostname('nonexistent.invalid'), [null, 'host not found']);
});

test.serial('toip / getaddrinfo argument errors', (t) => {
  t.throws(() => (dns.toip as LooseFn)(), {
    instanceOf: socket.LuaError,
    message: "bad argument #1 to 'toip' (string expected, got no value)",
  });
  t.throws(() => (dns.getaddrinfo as LooseFn)(null), {
    instanceOf: socket.LuaError,
    message: "bad argument #1 to 'getaddrinfo' (string expected, got nil)",
  });
});

test.serial('gethostname gives this host name, a non-empty string', (t) => {
  const r = dns.gethostname();
  t.is(r.length, 1);
  const [name] = r;
  t.is(typeof name, 'string');
  t.true((name as string).length > 0);
  t.is(name, hostname());
});

test.serial("getaddrinfo('localhost') lists {family, addr} entries; its IPv4 ones are 127.0.0.1", (t) => {
  const r = dns.getaddrinfo('localhost');
  t.is(r.length, 1);
  const [list] = r;
  if (!list) return t.fail('localhost did not resolve');
  t.true(list.length >= 1);
  for (const e of list) {
    t.deepEqual(Object.keys(e).sort(), ['addr', 'family']);
    t.true(e.family === 'inet' || e.family === 'inet6');
    if (e.family === 'inet') t.is(e.addr, '127.0.0.1');
    else t.is(e.addr, '::1');
  }
  t.true(list.some((e) => e.family === 'inet' && e.addr === '127.0.0.1'));
});

test.serial('getaddrinfo on literals, and a number coerced to a string', (t) => {
  t.deepEqual(dns.getaddrinfo('127.0.0.1'), [[{ family: 'inet', addr: '127.0.0.1' }]]);
  t.deepEqual(dns.getaddrinfo('::1'), [[{ family: 'inet6', addr: '::1' }]]);
  t.deepEqual(dns.getaddrinfo('127.1'), [[{ family: 'inet', addr: '127.0.0.1' }]]);
  t.deepEqual((dns.getaddrinfo as LooseFn)(127), [[{ family: 'inet', addr: '0.0.0.127' }]]);
});

test.serial("getaddrinfo('') and ('*') -> [null, 'host or service not provided, or not known']", (t) => {
  t.deepEqual(dns.getaddrinfo(''), [null, 'host or service not provided, or not known']);
  t.deepEqual(dns.getaddrinfo('*'), [null, 'host or service not provided, or not known']);
});

test.serial("getnameinfo('127.0.0.1', 80) -> [['localhost'], 'http']", (t) => {
  t.deepEqual(dns.getnameinfo('127.0.0.1', 80), [['localhost'], 'http']);
  t.deepEqual(dns.getnameinfo('127.0.0.1', 'http'), [['localhost'], 'http']);
});

test.serial('getnameinfo with only a host gives one value; with only a service, no names', (t) => {
  t.deepEqual(dns.getnameinfo('127.0.0.1'), [['localhost']]);
  t.deepEqual(dns.getnameinfo(null, 'http'), [[], 'http']);
  t.deepEqual(dns.getnameinfo(null, 22), [[], 'ssh']);
  t.deepEqual(dns.getnameinfo(null, 65000), [[], '65000']);
});

test.serial('getnameinfo errors', (t) => {
  t.deepEqual(dns.getnameinfo('127.0.0.1', 'nosuchsvc'), [null, 'service not supported for socket type']);
  t.deepEqual(dns.getnameinfo(''), [null, 'host or service not provided, or not known']);
  t.throws(() => dns.getnameinfo(null, null), { instanceOf: socket.LuaError, message: 'host and serv cannot be both nil' });
  t.throws(() => dns.getnameinfo(), { instanceOf: socket.LuaError, message: 'host and serv cannot be both nil' });
});
