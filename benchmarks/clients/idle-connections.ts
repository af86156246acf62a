/**
 * Memory of idle connections with this package: the RSS growth from holding `count`
 * open, idle loopback connections (the I/O worker is already running in the baseline).
 * The engine is whatever LUASOCKET_ENGINE selects.
 *
 *   node --expose-gc dist/benchmarks/clients/idle-connections.js <port> <count>
 */
import * as socket from '../../src/index.js';
import { HOST, rssKiB } from '../job.js';

interface IdleReport {
  ok: boolean;
  error?: string;
  connections: number;
  baselineKiB: number;
  heldKiB: number;
  deltaKiB: number;
  /** The whole measurement, for the harness's log. */
  seconds: number;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function settledRss(): number {
  gc();
  socket.sleep(0.2);
  gc();
  return rssKiB();
}

function measure(port: number, count: number): Omit<IdleReport, 'seconds'> {
  // Baseline: the module loaded and its worker started by one connection, then closed.
  const [first, ferr] = socket.connect(HOST, port);
  if (!first) throw new Error(`connect: ${ferr}`);
  first.close();
  const baselineKiB = settledRss();
  const held: socket.TcpSocket[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const [c, err] = socket.connect(HOST, port);
      if (!c) throw new Error(`connect ${i}: ${err}`);
      held.push(c);
    }
    const heldKiB = settledRss();
    return { ok: true, connections: held.length, baselineKiB, heldKiB, deltaKiB: heldKiB - baselineKiB };
  } finally {
    for (const c of held) c.close();
  }
}

const [port, count] = process.argv.slice(2).map(Number);
const t0 = performance.now();
let report: IdleReport;
try {
  report = { ...measure(port as number, count as number), seconds: (performance.now() - t0) / 1000 };
} catch (e) {
  report = { ok: false, error: String(e), connections: 0, baselineKiB: 0, heldKiB: 0, deltaKiB: 0, seconds: 0 };
}
process.stdout.write(`${JSON.stringify(report)}\n`);
