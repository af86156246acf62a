/**
 * socket.url: LuaSocket's URL module (url.lua, "URL 1.0.3") as it behaves, quirks included,
 * so URLs split, join and resolve exactly as in Lua (a differential test compares the two).
 *
 * Strings are text: characters outside ASCII are never delimiters, so parse/build/absolute
 * give the same result as Lua on the UTF-8 bytes; escape and build_path escape each UTF-8
 * byte. unescape of a string decodes the bytes as UTF-8; pass a Buffer to get the bytes.
 */
import { bytesOf, luaString, truthy } from './lua.js';

/** The parts of a URL, named as in RFC 2396 (and LuaSocket): all optional. */
export interface ParsedUrl {
  scheme?: string;
  authority?: string;
  userinfo?: string;
  user?: string;
  password?: string;
  host?: string;
  port?: string | number;
  path?: string;
  params?: string;
  query?: string;
  fragment?: string;
}

/** A path split into unescaped segments, with LuaSocket's two flags. */
export type ParsedPath = string[] & { is_absolute?: 1; is_directory?: 1 };

const ALNUM = /[A-Za-z0-9_]/;
/** Besides letters, digits and '_', what a path segment may hold unescaped. */
const SEGMENT_SAFE = new Set("-_.!~*'():@&=+$,");

function percent(byte: number, upper: boolean): string {
  const h = byte.toString(16).padStart(2, '0');
  return `%${upper ? h.toUpperCase() : h}`;
}

/** Escapes every byte but those `keep` accepts (`keep` sees ASCII characters only). */
function escapeBytes(s: string | Uint8Array, keep: (c: string) => boolean, upper: boolean): string {
  let out = '';
  for (const b of bytesOf(s)) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && keep(c) ? c : percent(b, upper);
  }
  return out;
}

/** url.escape(s): every byte but letters, digits and '_' as %xx (lower-case hex). */
function escapeUrl(s: string | Uint8Array): [string] {
  return [escapeBytes(s, (c) => ALNUM.test(c), false)];
}

function protectSegment(s: string): string {
  return escapeBytes(s, (c) => ALNUM.test(c) || SEGMENT_SAFE.has(c), true);
}

const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;

/** The bytes of `b` with every %hh replaced by the byte it names. */
function unescapeBytes(b: Buffer): Buffer {
  if (!b.includes(0x25)) return b;
  const out = Buffer.allocUnsafe(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x25 && i + 2 < b.length && HEX_PAIR.test(b.toString('latin1', i + 1, i + 3))) {
      out[n++] = Number.parseInt(b.toString('latin1', i + 1, i + 3), 16);
      i += 2;
    } else out[n++] = b[i]!;
  }
  return out.subarray(0, n);
}

/** url.unescape(s): %hh sequences back to bytes (a string result is decoded as UTF-8). */
function unescapeUrl(s: string): [string];
function unescapeUrl(s: Uint8Array): [Buffer];
function unescapeUrl(s: string | Uint8Array): [string | Buffer] {
  if (typeof s === 'string') {
    if (!s.includes('%')) return [s];
    return [unescapeBytes(bytesOf(s)).toString('utf8')];
  }
  return [Buffer.from(unescapeBytes(bytesOf(s)))];
}

/** Replaces the first match of `re` until nothing changes (Lua's repeat gsub(..., 1) loops). */
function replaceUntilStable(s: string, re: RegExp, by: string): string {
  for (;;) {
    const next = s.replace(re, by);
    if (next === s) return s;
    s = next;
  }
}

/** Marks the empty segment between two slashes so the dot rules below leave it alone. */
const MARK = '\x01';

/** LuaSocket's dot-segment removal (applied to paths, and to whole URLs by absolute). */
function removeDotComponents(path: string): string {
  path = replaceUntilStable(path, /\/\//, `/${MARK}/`);
  path = replaceUntilStable(path, /\/\.\//, '/');
  path = replaceUntilStable(path, /[^/]+\/\.\.\/([^/]+)/, '$1');
  path = path.replace(/[^/]+\/\.\.\/*$/g, '');
  path = path.replace(/\/\.\.$/g, '/');
  path = path.replace(/\/\.$/g, '/');
  path = path.replace(/^\/\.\.\//, '/');
  return path.replaceAll(MARK, '');
}

function absolutePath(basePath: string, relativePath: string): string {
  if (relativePath.startsWith('/')) return removeDotComponents(relativePath);
  let dir = basePath.replace(/[^/]*$/, '');
  if (!dir.endsWith('/')) dir += '/';
  return removeDotComponents(dir + relativePath);
}

/** Takes the first match of `re` out of `s`, handing its capture to `take`. */
function cut(s: string, re: RegExp, take: (part: string) => void): string {
  const m = re.exec(s);
  if (!m) return s;
  take(m[1]!);
  return s.slice(0, m.index) + s.slice(m.index + m[0].length);
}

/**
 * url.parse(url [, default]): the parts of `url` over a copy of `default`, or
 * [null, 'invalid url'] for an empty or missing url.
 */
export function parse(url: string | null | undefined, defaults?: ParsedUrl | null): [ParsedUrl] | [null, string] {
  const parsed: ParsedUrl = { ...(defaults ?? {}) };
  if (url === null || url === undefined || url === '') return [null, 'invalid url'];
  let rest = luaString(url);
  rest = cut(rest, /^([A-Za-z0-9][A-Za-z0-9+\-.]*):/, (s) => {
    parsed.scheme = s;
  });
  rest = cut(rest, /^\/\/([^/]*)/, (s) => {
    parsed.authority = s;
  });
  rest = cut(rest, /#([\s\S]*)$/, (s) => {
    parsed.fragment = s;
  });
  rest = cut(rest, /\?([\s\S]*)/, (s) => {
    parsed.query = s;
  });
  rest = cut(rest, /;([\s\S]*)/, (s) => {
    parsed.params = s;
  });
  if (rest !== '') parsed.path = rest;
  let authority = parsed.authority;
  if (authority === undefined) return [parsed];
  authority = cut(authority, /^([^@]*)@/, (s) => {
    parsed.userinfo = s;
  });
  authority = cut(authority, /:([^:\]]*)$/, (s) => {
    parsed.port = s;
  });
  if (authority !== '') parsed.host = /^\[([\s\S]+)\]$/.exec(authority)?.[1] ?? authority;
  const userinfo = parsed.userinfo;
  if (userinfo === undefined) return [parsed];
  parsed.user = cut(userinfo, /:([^:]*)$/, (s) => {
    parsed.password = s;
  });
  return [parsed];
}

/** A part as Lua would concatenate it, or null when absent (nil or false). */
function part(v: unknown): string | null {
  if (!truthy(v)) return null;
  return typeof v === 'number' ? luaString(v) : String(v);
}

/** url.build(parsed): the URL string; host/port/user/password win over authority/userinfo. */
export function build(parsed: ParsedUrl): [string] {
  let url = part(parsed.path) ?? '';
  const params = part(parsed.params);
  if (params !== null) url += `;${params}`;
  const query = part(parsed.query);
  if (query !== null) url += `?${query}`;
  let authority = part(parsed.authority);
  const host = part(parsed.host);
  if (host !== null) {
    authority = host.includes(':') ? `[${host}]` : host;
    const port = part(parsed.port);
    if (port !== null) authority += `:${port}`;
    let userinfo = part(parsed.userinfo);
    const user = part(parsed.user);
    if (user !== null) {
      userinfo = user;
      const password = part(parsed.password);
      if (password !== null) userinfo += `:${password}`;
    }
    if (userinfo !== null) authority = `${userinfo}@${authority}`;
  }
  if (authority !== null) url = `//${authority}${url}`;
  const scheme = part(parsed.scheme);
  if (scheme !== null) url = `${scheme}:${url}`;
  const fragment = part(parsed.fragment);
  if (fragment !== null) url += `#${fragment}`;
  return [url];
}

/**
 * url.absolute(base, relative): `relative` resolved against `base` (a string or a parsed
 * table), by LuaSocket's RFC 2396 rules.
 */
export function absolute(base: string | ParsedUrl, relative: string): [string] {
  let baseParsed: ParsedUrl | null;
  let baseUrl: string;
  if (typeof base === 'object' && base !== null) {
    baseParsed = base;
    baseUrl = build(base)[0];
  } else {
    baseUrl = base;
    baseParsed = parse(base)[0];
  }
  const rel = parse(relative)[0];
  let result: string;
  if (baseParsed === null) result = relative;
  else if (rel === null) result = baseUrl;
  else if (rel.scheme !== undefined) result = relative;
  else {
    rel.scheme = baseParsed.scheme;
    if (rel.authority === undefined) {
      rel.authority = baseParsed.authority;
      if (rel.path === undefined) {
        rel.path = baseParsed.path;
        if (rel.params === undefined) {
          rel.params = baseParsed.params;
          if (rel.query === undefined) rel.query = baseParsed.query;
        }
      } else rel.path = absolutePath(part(baseParsed.path) ?? '', rel.path);
    }
    result = build(rel)[0];
  }
  return [removeDotComponents(result)];
}

/** url.parse_path(path): the unescaped segments, with is_absolute / is_directory set to 1. */
export function parse_path(path?: string | null): [ParsedPath] {
  const p = path ?? '';
  const segments = (p.match(/[^/]+/g) ?? []).map((s) => unescapeUrl(s)[0]) as ParsedPath;
  if (p.startsWith('/')) segments.is_absolute = 1;
  if (p.endsWith('/')) segments.is_directory = 1;
  return [segments];
}

/** url.build_path(segments [, unsafe]): the path, each segment escaped unless `unsafe`. */
export function build_path(parsed: ParsedPath, unsafe?: unknown): [string] {
  const protect = truthy(unsafe) ? (s: string) => s : protectSegment;
  let path = parsed.map((s) => protect(luaString(s))).join('/');
  if (parsed.length > 0 && parsed.is_directory) path += '/';
  if (parsed.is_absolute) path = `/${path}`;
  return [path];
}

/** The module, shaped like LuaSocket's socket.url. */
export const url = {
  _VERSION: 'URL 1.0.3',
  escape: escapeUrl,
  unescape: unescapeUrl,
  parse,
  build,
  absolute,
  parse_path,
  build_path,
};
