/**
 * LuaSocket's http, url and ltn12 modules, for the `socket` namespace:
 * socket.http.request(...), socket.url.parse(...), socket.ltn12.pump.all(...).
 */
export type { Create, HttpSocket, Received } from './conn.js';
export type { RequestHeaders, ResponseHeaders } from './headers.js';
export { type GenericResult, type HttpModule, http, type RequestTable, type Scheme, type SimpleResult } from './http.js';
export type { TlsParams } from './https.js';
export type {
  Chunk,
  FancySink,
  FancySource,
  FileHandle,
  Filter,
  FilterResult,
  LowFilter,
  RewindSource,
  Sink,
  SinkResult,
  Source,
  SourceResult,
  Step,
  StepResult,
} from './ltn12.js';
export { ltn12 } from './ltn12.js';
export type { ParsedPath, ParsedUrl } from './url.js';
export { url } from './url.js';
