/**
 * Node's own W9 and W10 jobs, asynchronous as Node code is written:
 *  - W9: node:http's http.get with `agent: false`, i.e. a fresh connection per request
 *    and "Connection: close", one request at a time. Not fetch(): Node 20's fetch
 *    (undici) has no per-call switch for keep-alive, and its WHATWG streams add cost that
 *    is not the network's; http.get is Node's plain one-request-per-connection client.
 *  - W10: a node:tls connection, counting 'data' chunks until the requested bytes are in.
 */
import http from 'node:http';
import tls from 'node:tls';
import { CLIENT_TIMEOUT_S, HOST, HTTP_BODY, type Job, type Report, requestLine, TLS_TAIL } from '../job.js';

function getOnce(port: number): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: HOST, port, path: '/x', agent: false, timeout: CLIENT_TIMEOUT_S * 1000 }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve([res.statusCode ?? 0, Buffer.concat(parts).toString('utf8')]));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export async function httpGet(job: Job): Promise<Report> {
  const get = async (i: number) => {
    const [code, body] = await getOnce(job.port);
    if (body !== HTTP_BODY || code !== 200) throw new Error(`request ${i}: status ${code}, body '${body}'`);
  };
  for (let i = 0; i < job.warmup; i++) await get(i);
  const t0 = performance.now();
  for (let i = 0; i < job.count; i++) await get(job.warmup + i);
  const seconds = (performance.now() - t0) / 1000;
  const done = job.warmup + job.count;
  return { ok: true, seconds, done, bytes: HTTP_BODY.length * done, hwmKiB: 0 };
}

export async function tlsBulk(job: Job): Promise<Report> {
  const s = await new Promise<tls.TLSSocket>((resolve, reject) => {
    const c = tls.connect({ host: HOST, port: job.port, rejectUnauthorized: false });
    c.setNoDelay(true);
    c.setTimeout(CLIENT_TIMEOUT_S * 1000, () => c.destroy(new Error('timeout')));
    c.once('error', reject);
    c.once('secureConnect', () => {
      c.off('error', reject);
      resolve(c);
    });
  });
  let calls = 0;
  let bytes = 0;
  let tail: Buffer = Buffer.alloc(0);
  const t0 = performance.now();
  s.write(requestLine(job));
  await new Promise<void>((resolve, reject) => {
    s.on('data', (chunk: Buffer) => {
      calls++;
      bytes += chunk.length;
      tail = chunk.length >= TLS_TAIL ? chunk : Buffer.concat([tail, chunk]).subarray(-TLS_TAIL);
      if (bytes >= job.count) resolve();
    });
    s.on('error', reject);
    s.on('end', () => reject(new Error(`end after ${bytes} bytes`)));
  });
  const seconds = (performance.now() - t0) / 1000;
  s.destroy();
  return { ok: true, seconds, done: calls, bytes, text: tail.subarray(-TLS_TAIL).toString('latin1'), hwmKiB: 0 };
}
