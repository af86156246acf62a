/**
 * socket.url: fixed expectations (taken from LuaSocket 3.1.0), then a differential test
 * that runs a curated list and random inputs through both this module and the real
 * LuaSocket's url.lua (lua5.4, test/interop/http-url-diff.lua) and compares every byte.
 */
// The package entry first, as users load it (src/http/ imports it back).
import '../src/index.js';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { url } from '../src/http/index.js';
import type { ParsedPath, ParsedUrl } from '../src/http/url.js';
import { interopDir, LUA, luaStatus, skipTitle } from './interop/lua.js';

test('parse splits a full URL into its parts', (t) => {
  t.deepEqual(url.parse('http://user:pa%3As@[::1]:8080/a/b;p=1?q=2#frag'), [
    {
      scheme: 'http',
      authority: 'user:pa%3As@[::1]:8080',
      userinfo: 'user:pa%3As',
      user: 'user',
      password: 'pa%3As',
      host: '::1',
      port: '8080',
      path: '/a/b',
      params: 'p=1',
      query: 'q=2',
      fragment: 'frag',
    },
  ]);
});

test('parse: empty url is an error value, defaults are copied under the parts', (t) => {
  t.deepEqual(url.parse(''), [null, 'invalid url']);
  t.deepEqual(url.parse(null), [null, 'invalid url']);
  t.deepEqual(url.parse('//h', { scheme: 'http', path: '/' }), [{ scheme: 'http', path: '/', authority: 'h', host: 'h' }]);
});

test('build: host and port win over authority, IPv6 hosts get brackets', (t) => {
  t.deepEqual(url.build({ scheme: 'http', host: '::1', port: 80, path: '/x', authority: 'ignored' }), ['http://[::1]:80/x']);
  t.deepEqual(url.build({ path: 'p', params: '', query: '' }), ['p;?']);
  t.deepEqual(url.build({ authority: '' }), ['//']);
});

test('absolute resolves RFC 2396 examples as LuaSocket does', (t) => {
  const base = 'http://a/b/c/d;p?q';
  const cases: Array<[string, string]> = [
    ['g', 'http://a/b/c/g'],
    ['./g', 'http://a/b/c/g'],
    ['g/', 'http://a/b/c/g/'],
    ['/g', 'http://a/g'],
    ['//g', 'http://g'],
    ['?y', 'http://a/b/c/d;p?y'],
    ['g?y', 'http://a/b/c/g?y'],
    ['#s', 'http://a/b/c/d;p?q#s'],
    [';x', 'http://a/b/c/d;x'],
    ['..', 'http://a/b/'],
    ['../..', 'http://a/'],
    ['../../../g', 'http://a/g'],
    ['g;x=1/../y', 'http://a/b/c/y'],
  ];
  for (const [rel, want] of cases) t.deepEqual(url.absolute(base, rel), [want], rel);
  // A table base lends its authority field only (host alone is not carried over), as in LuaSocket.
  t.deepEqual(url.absolute({ scheme: 'https', host: 'h', path: '/a/b' }, 'c'), ['https:/a/c']);
  t.deepEqual(url.absolute({ scheme: 'https', authority: 'h', path: '/a/b' }, 'c'), ['https://h/a/c']);
});

test('escape and unescape are byte-exact; a Buffer gives the raw bytes back', (t) => {
  t.deepEqual(url.escape('a b/é_'), ['a%20b%2f%c3%a9_']);
  t.deepEqual(url.unescape('a%20b%2F%c3%a9%zz%4'), ['a b/é%zz%4']);
  t.deepEqual(url.unescape(Buffer.from('%ff%00x')), [Buffer.from([0xff, 0, 0x78])]);
  t.deepEqual(url.escape(Buffer.from([0xff, 0x41])), ['%ffA']);
});

test('parse_path and build_path', (t) => {
  const [p] = url.parse_path('/a%20b//c/');
  t.deepEqual([...p], ['a b', 'c']);
  t.is(p.is_absolute, 1);
  t.is(p.is_directory, 1);
  const segments = Object.assign(['a b', 'c/d', 'é'], { is_absolute: 1 as const }) as ParsedPath;
  t.deepEqual(url.build_path(segments), ['/a%20b/c%2Fd/%C3%A9']);
  t.deepEqual(url.build_path(segments, true), ['/a b/c/d/é']);
});

// ------------------------------------------------------------------ differential

const PARTS = ['scheme', 'authority', 'userinfo', 'user', 'password', 'host', 'port', 'path', 'params', 'query', 'fragment'] as const;

function field(v: string | Uint8Array | number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  const b = typeof v === 'number' ? Buffer.from(String(v)) : Buffer.from(v);
  return `=${b.toString('hex')}`;
}

function fieldsOf(p: ParsedUrl): string {
  return PARTS.map((k) => field(p[k])).join(' ');
}

function tableFields(p: ParsedUrl): string {
  return PARTS.map((k) => field(p[k])).join(' ');
}

interface Case {
  op: string;
  args: string;
  ours: () => string;
}

function cases(inputs: string[], pairs: Array<[string, string]>, tables: ParsedUrl[]): Case[] {
  const out: Case[] = [];
  for (const s of inputs) {
    const a = field(s);
    out.push({ op: 'escape', args: a, ours: () => field(url.escape(s)[0]) });
    out.push({ op: 'unescape', args: a, ours: () => field(url.unescape(Buffer.from(s))[0]) });
    out.push({
      op: 'parse',
      args: a,
      ours: () => {
        const r = url.parse(s);
        return r[0] === null ? `nil ${field(r[1])}` : fieldsOf(r[0]);
      },
    });
    out.push({
      op: 'parsedefault',
      args: a,
      ours: () => {
        const r = url.parse(s, { path: '/', scheme: 'http' });
        return r[0] === null ? `nil ${field(r[1])}` : fieldsOf(r[0]);
      },
    });
    out.push({
      op: 'parse_path',
      args: a,
      ours: () => {
        const [p] = url.parse_path(s);
        return [field(p.is_absolute), field(p.is_directory), ...p.map((x) => field(x))].join(' ');
      },
    });
    const segments = Object.assign(s.split('/'), { is_directory: 1 as const }) as ParsedPath;
    out.push({
      op: 'build_path',
      args: `- - = ${segments.map((x) => field(x)).join(' ')}`,
      ours: () => field(url.build_path(segments)[0]),
    });
  }
  for (const [b, r] of pairs) out.push({ op: 'absolute', args: `${field(b)} ${field(r)}`, ours: () => field(url.absolute(b, r)[0]) });
  for (const p of tables) {
    out.push({ op: 'build', args: tableFields(p), ours: () => field(url.build(p)[0]) });
    out.push({ op: 'absolutetable', args: `${field('../x?y')} ${tableFields(p)}`, ours: () => field(url.absolute(p, '../x?y')[0]) });
  }
  return out;
}

const CURATED = [
  'http://www.example.com/a/b/c',
  'https://user:pass@host:443/p;params?query#frag',
  'ftp://[2001:db8::1]:21/file',
  'http://[::1]/',
  'http://[::1',
  'http://h:/',
  'http://@/',
  'http://u@h',
  'http://u:@h:1:2',
  'mailto:someone@example.com',
  'file:///etc/passwd',
  '//host/path',
  '/only/path',
  'relative/path',
  '?q',
  '#f',
  ';p',
  'a;b?c#d',
  'a?b;c#d',
  'a#b?c;d',
  'http://h?x/y#z',
  'http://h#x',
  '1http://x',
  'a+b-c.d:rest',
  ':no-scheme',
  '%41%4a%zz%%41%',
  'a b\tc',
  'é/ü?ß#€',
  '../a/./b/../../c',
  '/a/b/../../../c',
  'a//b///c/./d/..',
  '.././../',
  '\x01//\x01',
  '',
];

const PAIRS: Array<[string, string]> = [
  ['http://a/b/c/d;p?q', 'g:h'],
  ['http://a/b/c/d;p?q', '../../../../g'],
  ['http://a/b/c/d;p?q', '/./g'],
  ['http://a/b/c/d;p?q', 'g.'],
  ['http://a/b/c/d;p?q', '.g'],
  ['http://a/b/c/d;p?q', 'g..'],
  ['http://a/b/c/d;p?q', './../g'],
  ['http://a/b/c/d;p?q', 'g/./h'],
  ['http://a/b/c/d;p?q', 'g;x=1/./y'],
  ['http://a/b/c/d;p?q', 'g?y/./x'],
  ['http://a/b/c/d;p?q', 'g#s/../x'],
  ['http://a/b/c/d;p?q', ''],
  ['', 'http://x/y'],
  ['http://a//b//c', '../d'],
  ['http://a', 'b'],
  ['http://a?x', '#y'],
  ['https://h/x/y', '//other/z'],
];

const SEGMENT = fc.constantFrom('a', 'b', '.', '..', '', 'é', '%41', '%zz', '~', ' ', 'x.y', '[', ']');
const DELIM = fc.constantFrom('/', '//', ':', '@', '?', '#', ';', '[', ']', 'http:', '//h:1', '://');
const urlish = fc.array(fc.oneof(SEGMENT, DELIM), { maxLength: 12 }).map((parts) => parts.join(''));
const maybe = (a: fc.Arbitrary<string>) => fc.option(a, { nil: undefined });
const table = fc.record({
  scheme: maybe(fc.constantFrom('http', 'https', 'x')),
  authority: maybe(urlish),
  userinfo: maybe(urlish),
  user: maybe(fc.constantFrom('u', '', 'a:b')),
  password: maybe(fc.constantFrom('p', '')),
  host: maybe(fc.constantFrom('h', '::1', '', 'a.b')),
  port: maybe(fc.constantFrom('80', '', '1')),
  path: maybe(urlish),
  params: maybe(urlish),
  query: maybe(urlish),
  fragment: maybe(urlish),
});

const lua = luaStatus();
const runDiff = lua.ok ? test : test.skip;

runDiff(lua.ok ? 'differential: curated and random inputs give the same bytes as LuaSocket url.lua' : skipTitle(lua), (t) => {
  const random = fc.sample(urlish, { numRuns: 400, seed: 12 });
  const randomPairs = fc.sample(fc.tuple(urlish, urlish), { numRuns: 400, seed: 34 });
  const tables = fc.sample(table, { numRuns: 200, seed: 56 }) as ParsedUrl[];
  const all = cases(
    [...CURATED, ...random],
    [...PAIRS, ...randomPairs, ...CURATED.map((c): [string, string] => ['http://a/b/c/d;p?q', c])],
    tables,
  );
  const input = `${all.map((c) => `${c.op} ${c.args}`).join('\n')}\n`;
  const r = spawnSync(LUA, [join(interopDir, 'http-url-diff.lua')], { input, encoding: 'latin1', maxBuffer: 64 << 20 });
  t.is(r.status, 0, r.stderr);
  const theirs = r.stdout.split('\n');
  let mismatches = 0;
  for (const [i, c] of all.entries()) {
    const ours = c.ours();
    if (ours !== theirs[i]) {
      mismatches += 1;
      if (mismatches <= 10) t.log(`${c.op} ${c.args}\n  ours:   ${ours}\n  theirs: ${theirs[i]}`);
    }
  }
  t.is(mismatches, 0, `${mismatches} of ${all.length} cases differ`);
  t.true(all.length > 3000);
});
