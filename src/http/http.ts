/**
 * socket.http: LuaSocket's blocking HTTP/1.1 client. Two forms, as in LuaSocket:
 *
 *   http.request(url [, body])  -> [body, code, headers, status] | [null, err]
 *   http.request({ url, sink, method, headers, source, step, proxy, redirect, create, ... })
 *                               -> [1, code, headers, status] | [null, err]
 *
 * One connection per request ('Connection: close'), redirects of GET/HEAD by LuaSocket's
 * rules, errors returned as values with LuaSocket's texts. See the README for what
 * differs from LuaSocket, each on purpose.
 */
import * as socket from '../index.js';
import { bodySource, untilClosedSource } from './body.js';
import { Connection, type Create, fail, HttpFailure } from './conn.js';
import { asciiLower, canonicalName, type RequestHeaders, type ResponseHeaders, setHeader } from './headers.js';
import { httpsCreate, type TlsParams, tlsParamsOf } from './https.js';
import { type Chunk, ltn12, type Sink, type Source, type Step } from './ltn12.js';
import { byteLength, bytesOf, luaString, truthy } from './lua.js';
import { type ParsedUrl, url } from './url.js';

/** The generic form's request table. URL parts given explicitly override those of `url`. */
export interface RequestTable extends ParsedUrl, TlsParams {
  url?: string;
  /** Where the response body goes (default: discarded). */
  sink?: Sink | null;
  method?: string;
  headers?: RequestHeaders | null;
  /** The request body; sent chunked unless headers give a content-length. */
  source?: Source | null;
  /** How to pump the bodies (default ltn12.pump.step). */
  step?: Step | null;
  /** A proxy URL, e.g. 'http://proxy:3128' (default http.PROXY). */
  proxy?: string | null;
  /** false: never follow redirects. */
  redirect?: boolean | null;
  /** Redirects followed at most (default 5); false: no bound. */
  maxredirects?: number | false | null;
  /** Makes the socket-like object to connect with (default: the scheme's). */
  create?: Create | null;
  /** The request-target to send as is, instead of the one built from the URL. */
  uri?: string | null;
}

/** A scheme http knows: its default port and how to make its connections. */
export interface Scheme {
  port: number;
  create: (reqt: RequestTable & { host: string }) => Create;
}

/** [1, code, headers, status]; an HTTP/0.9 answer has no headers nor status line. */
export type GenericResult = [1, number, ResponseHeaders, string] | [1, number, ResponseHeaders] | [1, number] | [null, string];
export type SimpleResult =
  | [string, number, ResponseHeaders, string]
  | [string, number, ResponseHeaders]
  | [string, number]
  | [null, string];

const schemes: Record<string, Scheme> = {
  http: { port: 80, create: () => () => socket.tcp() },
  https: { port: 443, create: (reqt) => httpsCreate(reqt.host, tlsParamsOf(reqt)) },
};

const REDIRECT_CODES = new Set([301, 302, 303, 307]);

/** The request after defaults: everything needed to send it. */
interface Prepared {
  scheme: string;
  method: string;
  /** Where to connect (the proxy, if any). */
  connectHost: string;
  connectPort: number | string;
  uri: string;
  headers: Array<[string, string | number]>;
  lowerHeaders: RequestHeaders;
  create: Create;
  /** The absolute URL requested, to resolve a relative Location against. */
  target: string;
}

function schemeOf(name: string): Scheme | null {
  return Object.hasOwn(schemes, name) ? schemes[name]! : null;
}

function adjustHeaders(n: RequestTable & { host: string; scheme: string }, proxy: string | null): RequestHeaders {
  const port = luaString(n.port as string | number);
  let host = n.host.includes(':') ? `[${n.host}]` : n.host;
  if (port !== String(schemeOf(n.scheme)!.port)) host += `:${port}`;
  const lower: RequestHeaders = {};
  if (http.USERAGENT !== null && http.USERAGENT !== undefined) lower['user-agent'] = http.USERAGENT;
  lower.host = host;
  lower.connection = 'close, TE';
  lower.te = 'trailers';
  if (truthy(n.user) && truthy(n.password)) lower.authorization = basic(n.user!, n.password!);
  if (proxy !== null) {
    const p = url.parse(proxy)[0];
    if (p && truthy(p.user) && truthy(p.password)) lower['proxy-authorization'] = basic(p.user!, p.password!);
  }
  for (const [k, v] of Object.entries(n.headers ?? {})) setHeader(lower, asciiLower(k), v);
  return lower;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${url.unescape(user)[0]}:${url.unescape(password)[0]}`).toString('base64')}`;
}

/** LuaSocket's adjustrequest: the URL parsed, defaults applied, explicit fields on top. */
function adjustRequest(reqt: RequestTable): Prepared {
  const n: RequestTable = {};
  if (truthy(reqt.url)) Object.assign(n, url.parse(reqt.url!, { path: '/', scheme: 'http' })[0]);
  for (const [k, v] of Object.entries(reqt)) if (v !== undefined && v !== null) (n as Record<string, unknown>)[k] = v;
  const scheme = truthy(n.scheme) ? String(n.scheme) : 'http';
  const defs = schemeOf(scheme);
  if (defs === null) fail(`unknown scheme '${scheme}'`);
  if (!truthy(n.port) || n.port === '') n.port = defs.port;
  if (!truthy(n.method) || n.method === '') n.method = 'GET';
  if (!truthy(n.host) || n.host === '') fail(`invalid host '${n.host ?? 'nil'}'`);
  const host = String(n.host);
  const proxy = truthy(reqt.proxy) ? reqt.proxy! : truthy(http.PROXY) ? http.PROXY! : null;
  if (proxy !== null && scheme === 'https') fail('proxy not supported');
  const create = n.create ?? defs.create({ ...n, host });
  const sameOrigin = { path: n.path, params: n.params, query: n.query };
  const defaultPort = luaString(n.port as string | number) === String(defs.port);
  const target = url.build({ scheme, host, port: defaultPort ? undefined : n.port, ...sameOrigin })[0];
  let uri: string;
  if (truthy(reqt.uri)) uri = reqt.uri!;
  else if (proxy !== null) uri = target;
  else {
    if (!truthy(n.path)) fail("invalid path 'nil'");
    uri = url.build(sameOrigin)[0];
  }
  const lowerHeaders = adjustHeaders({ ...n, host, scheme }, proxy);
  if (n.source && !Object.hasOwn(lowerHeaders, 'content-length') && !Object.hasOwn(lowerHeaders, 'transfer-encoding')) {
    lowerHeaders['transfer-encoding'] = 'chunked';
  }
  let connectHost = host;
  let connectPort: number | string = n.port as number | string;
  if (proxy !== null) {
    const p = url.parse(proxy)[0];
    if (!p || !truthy(p.host)) fail(`invalid host '${p?.host ?? 'nil'}'`);
    connectHost = p.host!;
    connectPort = truthy(p.port) ? p.port! : 3128;
  }
  return {
    scheme,
    method: String(n.method),
    connectHost,
    connectPort,
    uri,
    headers: Object.entries(lowerHeaders).map(([k, v]) => [canonicalName(k), v]),
    lowerHeaders,
    create,
    target,
  };
}

/** Where a redirect leads, or null when it must not be followed (LuaSocket's rules). */
function redirectTarget(reqt: RequestTable, p: Prepared, code: number, headers: ResponseHeaders, hops: number): string | null {
  const location = headers.location?.replace(/[ \t\n\v\f\r]/g, '');
  if (location === undefined || location === '') return null;
  const next = url.absolute(p.target, location)[0];
  const scheme = url.parse(next)[0]?.scheme;
  if (scheme === undefined || schemeOf(scheme) === null) return null;
  // Never from https down to anything else.
  if (p.scheme === 'https' && scheme !== 'https') return null;
  if (reqt.redirect === false || !REDIRECT_CODES.has(code)) return null;
  if (p.method !== 'GET' && p.method !== 'HEAD') return null;
  if (reqt.maxredirects === false) return next;
  return hops < (reqt.maxredirects ?? 5) ? next : null;
}

function shouldReceiveBody(method: string, code: number): boolean {
  if (method === 'HEAD' || code === 204 || code === 304) return false;
  return !(code >= 100 && code < 200);
}

/** One request and, through redirects, the ones it leads to. Throws HttpFailure. */
function trequest(reqt: RequestTable, hops: number): GenericResult {
  const p = adjustRequest(reqt);
  const conn = Connection.open(p.connectHost, p.connectPort, p.create, http.TIMEOUT);
  try {
    conn.sendHead(p.method, p.uri, p.headers);
    if (reqt.source) conn.sendBody(p.lowerHeaders, reqt.source, reqt.step ?? null);
    let { code, status, start } = conn.receiveStatusLine();
    if (code === null) {
      // HTTP/0.9: no status line, no headers; what was read is the start of the body.
      const [rest] = ltn12.source.cat(ltn12.source.string(start)[0], untilClosedSource(conn));
      conn.pump(rest, reqt.sink ?? null, reqt.step ?? null);
      return [1, 200];
    }
    while (code === 100) {
      conn.receiveHeaders();
      ({ code, status } = conn.receiveStatusLine());
      if (code === null) fail(status);
    }
    const headers = conn.receiveHeaders();
    // A body already sent cannot be sent again, so such a request is not redirected.
    const next = reqt.source ? null : redirectTarget(reqt, p, code, headers, hops);
    if (next !== null) {
      conn.close();
      return redirect(reqt, p, next, headers.location!, hops);
    }
    if (shouldReceiveBody(p.method, code)) conn.pump(bodySource(conn, headers), reqt.sink ?? null, reqt.step ?? null);
    return [1, code, headers, status];
  } finally {
    conn.close();
  }
}

function redirect(reqt: RequestTable, p: Prepared, next: string, location: string, hops: number): GenericResult {
  const nextScheme = url.parse(next)[0]?.scheme;
  const result = trequest(
    {
      ...tlsParamsOf(reqt),
      url: next,
      method: p.method,
      source: reqt.source,
      sink: reqt.sink,
      step: reqt.step,
      headers: reqt.headers,
      proxy: reqt.proxy,
      maxredirects: reqt.maxredirects,
      // The caller's create stays while the scheme does.
      create: nextScheme === p.scheme ? reqt.create : null,
    },
    hops + 1,
  );
  // The Location followed is left in the headers, as a hint that a redirect happened.
  if (result[0] === null) return result;
  if (result.length === 2) return [1, result[1], { location }];
  if (!Object.hasOwn(result[2], 'location')) setHeader(result[2], 'location', location);
  return result;
}

/** The simple form: GET, or a form POST when a body is given; the body comes back as text. */
function srequest(u: string, body: Chunk | null | undefined): SimpleResult {
  const [sink, chunks] = ltn12.sink.table<Chunk[]>();
  const reqt: RequestTable = { url: u, sink };
  if (body !== null && body !== undefined) {
    reqt.source = ltn12.source.string(body)[0];
    reqt.headers = { 'content-length': byteLength(body), 'content-type': 'application/x-www-form-urlencoded' };
    reqt.method = 'POST';
  }
  const r = trequest(reqt, 0);
  if (r[0] === null) return r;
  const text = Buffer.concat(chunks.map((c) => bytesOf(c))).toString('utf8');
  if (r.length === 2) return [text, r[1]];
  if (r.length === 3) return [text, r[1], r[2]];
  return [text, r[1], r[2], r[3]];
}

function request(url: string, body?: Chunk | null): SimpleResult;
function request(reqt: RequestTable): GenericResult;
function request(reqt: string | RequestTable, body?: Chunk | null): SimpleResult | GenericResult {
  try {
    if (typeof reqt === 'string') return srequest(reqt, body);
    if (typeof reqt !== 'object' || reqt === null) {
      throw new socket.LuaError(`attempt to index a ${reqt === null || reqt === undefined ? 'nil' : typeof reqt} value (local 'reqt')`);
    }
    return trequest(reqt, 0);
  } catch (e) {
    if (e instanceof HttpFailure) return [null, e.text];
    throw e;
  }
}

export interface HttpModule {
  /** Seconds each connect, send and receive may block (LuaSocket: 60). */
  TIMEOUT: number;
  /** The User-Agent header sent (null: none). */
  USERAGENT: string | null;
  /** A proxy URL used by every request that names none. */
  PROXY: string | null;
  request: typeof request;
  /** The schemes request() knows, by name (more can be added, as in LuaSocket). */
  schemes: Record<string, Scheme>;
}

/** The module, shaped like LuaSocket's socket.http; its settings may be changed. */
export const http: HttpModule = {
  TIMEOUT: 60,
  USERAGENT: 'LuaSocket 3.1.0',
  PROXY: null,
  request,
  schemes,
};
