/**
 * HTTP header blocks: the names and layout of what the client sends, and LuaSocket's
 * reading of what it receives (field names lower-cased, folded lines joined, repeated
 * fields joined with ", ", 'malformed reponse headers' for a line without a colon).
 */

/** Response headers: lower-case field names to values (bytes as latin1, one char per byte). */
export type ResponseHeaders = Record<string, string>;

/** Request headers as given: any case; numbers are sent as Lua would print them. */
export type RequestHeaders = Record<string, string | number>;

/** Reads one line (without CR/LF): the bytes, or the error text. */
export type LineReader = () => Buffer | { err: string };

/** Lua's string.lower: ASCII letters only, so latin1 field names keep their other bytes. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** Names whose usual spelling is not word-capitalized. */
const SPECIAL_NAMES: Record<string, string> = { te: 'TE', 'www-authenticate': 'WWW-Authenticate', 'content-md5': 'Content-MD5' };

/** The spelling a header is sent with: 'user-agent' -> 'User-Agent' (names are case-insensitive). */
export function canonicalName(lower: string): string {
  return SPECIAL_NAMES[lower] ?? lower.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** Sets `name` on a header table without touching the prototype (a field may be '__proto__'). */
export function setHeader(h: Record<string, string | number>, name: string, value: string | number): void {
  Object.defineProperty(h, name, { value, enumerable: true, writable: true, configurable: true });
}

export type HeadersResult = { ok: true; headers: ResponseHeaders } | { ok: false; err: string };

const FIELD = /^([\s\S]*?):[ \t\n\v\f\r]*([\s\S]*)$/;
const FOLDED = /^[ \t\n\v\f\r]/;

/**
 * Reads header lines up to the empty line into `into` (a new table if none). Returns the
 * table, or the error text: the read error, or 'malformed reponse headers' (LuaSocket's
 * spelling) for a line without a colon.
 */
export function receiveHeaders(readLine: LineReader, into?: ResponseHeaders): HeadersResult {
  const headers = into ?? {};
  let got = readLine();
  if (!Buffer.isBuffer(got)) return { ok: false, err: got.err };
  let line = got.toString('latin1');
  while (line !== '') {
    const m = FIELD.exec(line);
    if (!m) return { ok: false, err: 'malformed reponse headers' };
    const name = asciiLower(m[1]!);
    let value = m[2]!;
    for (;;) {
      got = readLine();
      if (!Buffer.isBuffer(got)) return { ok: false, err: got.err };
      line = got.toString('latin1');
      // A line starting with white space continues the previous field's value.
      if (!FOLDED.test(line)) break;
      value += line;
    }
    setHeader(headers, name, Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value);
  }
  return { ok: true, headers };
}
