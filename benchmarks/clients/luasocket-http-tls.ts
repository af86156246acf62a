/**
 * This package's W9 and W10 jobs, as a LuaSocket/LuaSec script would write them:
 * socket.http.request(url) once per request (a fresh connection each, as socket.http
 * always does), and a socket.ssl connection read with receive(65536) in 'buffer'
 * encoding until the requested bytes are in.
 */
import { CHUNK, CLIENT_TIMEOUT_S, HOST, HTTP_BODY, httpUrl, type Job, type Report, requestLine, TLS_TAIL } from '../job.js';

type Socket = typeof import('../../src/index.js');

export function httpGet(socket: Socket, job: Job): Report {
  const url = httpUrl(job.port);
  socket.http.TIMEOUT = CLIENT_TIMEOUT_S;
  const get = (i: number) => {
    const [body, code] = socket.http.request(url);
    if (body !== HTTP_BODY || code !== 200) throw new Error(`request ${i}: ${body === null ? code : `status ${code}, body '${body}'`}`);
  };
  for (let i = 0; i < job.warmup; i++) get(i);
  const t0 = performance.now();
  for (let i = 0; i < job.count; i++) get(job.warmup + i);
  const seconds = (performance.now() - t0) / 1000;
  const done = job.warmup + job.count;
  return { ok: true, seconds, done, bytes: HTTP_BODY.length * done, hwmKiB: 0 };
}

export function tlsBulk(socket: Socket, job: Job): Report {
  const [tcp, err] = socket.connect(HOST, job.port);
  if (!tcp) throw new Error(`connect: ${err}`);
  tcp.settimeout(CLIENT_TIMEOUT_S);
  tcp.setoption('tcp-nodelay', true);
  const [conn, werr] = socket.ssl.wrap(tcp, { mode: 'client', protocol: 'any', verify: 'none' });
  if (!conn) throw new Error(`wrap: ${werr}`);
  conn.settimeout(CLIENT_TIMEOUT_S);
  const [shaken, herr] = conn.dohandshake();
  if (!shaken) throw new Error(`dohandshake: ${herr}`);
  const c = conn.setencoding('buffer');
  const [sent, serr] = c.send(requestLine(job));
  if (sent === null) throw new Error(`send: ${serr}`);
  let calls = 0;
  let bytes = 0;
  let last: Buffer = Buffer.alloc(0);
  const t0 = performance.now();
  while (bytes < job.count) {
    const [data, rerr] = c.receive(Math.min(CHUNK, job.count - bytes));
    if (data === null) throw new Error(`receive after ${bytes} bytes: ${rerr}`);
    calls++;
    bytes += data.length;
    last = data;
  }
  const seconds = (performance.now() - t0) / 1000;
  c.close();
  // The count is whole chunks, so the tail is in the last one.
  return { ok: true, seconds, done: calls, bytes, text: last.subarray(-TLS_TAIL).toString('latin1'), hwmKiB: 0 };
}
