/**
 * The calling thread's link to its I/O worker (both engines have one): starts the worker
 * on first use, posts commands to it, and blocks the calling thread in Atomics.wait until
 * a condition holds in shared memory or a deadline passes. Every wait is bounded and
 * watches the worker's heartbeat, so a dead worker can never hang a caller.
 */
import type { MessagePort, Worker, WorkerOptions } from 'node:worker_threads';
import {
  type Accepted,
  type Command,
  Ctl,
  HEARTBEAT_DEAD_MS,
  type PortMessage,
  type Reply,
  STARTUP_DEAD_MS,
  type WorkerData,
} from '../protocol.js';

/** Thrown (internally) when the I/O worker is gone; callers turn it into an error result. */
export class WorkerDeadError extends Error {
  constructor(reason: string) {
    super(`luasocket: the I/O worker is gone (${reason})`);
    this.name = 'WorkerDeadError';
  }
}

/** node:worker_threads, loaded when the first link starts a worker, not at import (start-up). */
const threads = () => process.getBuiltinModule('node:worker_threads');

/** Commands a caller can wait for: those with a reply id (a close too, when it must be synchronous). */
type CommandBody = Command extends infer C ? (C extends { rid: number } | { op: 'close' } ? Omit<C, 'rid'> : never) : never;

/** How often a long wait wakes up to look at the worker's heartbeat. */
const LIVENESS_SLICE_MS = 250;

/**
 * Adaptive spinning before Atomics.wait. On these VMs a sleeping thread costs 10-25 us to
 * wake, far more than a line costs to parse, so a caller whose events come quickly (an
 * echo peer, a stream it keeps up with) spins for the next one instead of sleeping. The
 * spin budget follows a moving average of how long recent waits lasted: when events come
 * within SPIN_MAX_MS it spins up to twice the average; when they take longer (an idle
 * peer, a long timeout) it does not spin at all, so a long wait never burns a core.
 *
 * The cap is short because the spinner may be what delays the event: on a 2-vCPU machine
 * the worker (or the peer) can be queued on the spinning caller's CPU, and then waits out
 * the whole spin. Measured on W1 (quick bench): a 100 us cap put the p99 at 112-132 us,
 * 50 us at 72-75 us, with the same median; 30 us also cut the p99 but missed the 20-25 us
 * replies of a machine whose idle vCPUs halt, doubling the median there.
 */
const SPIN_MAX_MS = 0.05;
/** Loads of the wake word per clock read while spinning (a clock read costs more than a load). */
const SPIN_CHECKS = 32;

let generation = 0;

/**
 * The Node options to start the worker with: undefined (Node's default: the script's, less
 * those a worker cannot take) unless the script has --input-type, which a worker started
 * from a file refuses: it would die at start under `node --input-type=module -e ...` or ESM
 * on stdin. Then the script's options without it.
 */
function workerExecArgv(execArgv: readonly string[]): string[] | undefined {
  if (!execArgv.some((a) => a === '--input-type' || a.startsWith('--input-type='))) return undefined;
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i] as string;
    if (a === '--input-type') i++;
    else if (!a.startsWith('--input-type=')) kept.push(a);
  }
  return kept;
}

/** Starts the worker; an explicit option list a worker refuses (e.g. --expose-gc) falls back to none. */
function startWorker(url: URL, options: WorkerOptions): Worker {
  const { Worker: WorkerThread } = threads();
  const execArgv = workerExecArgv(process.execArgv);
  try {
    return new WorkerThread(url, { ...options, execArgv });
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
    return new WorkerThread(url, { ...options, execArgv: [] });
  }
}

export class WorkerLink {
  readonly ctl: Int32Array;
  /** Unique per engine in this process (thread id and generation). */
  readonly token: number;
  private readonly worker: Worker;
  private readonly replies: MessagePort;
  private readonly receiveMessageOnPort: (port: MessagePort) => { message: unknown } | undefined;
  private nextRid = 1;
  private nextId = 1;
  private dead: string | null = null;
  private readonly startedAt = performance.now();
  private beatValue = -1;
  private beatAt = performance.now();
  /** Moving average of how long waits lasted until their event, in ms (SPIN_MAX_MS). */
  private waitAvgMs = SPIN_MAX_MS;
  /** Replies that arrived while waiting for another one. */
  private readonly early = new Map<number, Reply>();
  /** Connections portable listeners accepted, by listener channel id, oldest first. */
  private readonly accepted = new Map<number, Accepted[]>();

  constructor() {
    const sab = new SharedArrayBuffer(Ctl.WORDS * 4);
    this.ctl = new Int32Array(sab);
    const { MessageChannel, threadId } = threads();
    this.receiveMessageOnPort = threads().receiveMessageOnPort;
    const { port1, port2 } = new MessageChannel();
    this.replies = port1;
    generation += 1;
    this.token = ((threadId & 0xffff) << 14) | (generation & 0x3fff);
    const data: WorkerData = { ctl: sab, replyPort: port2, token: this.token };
    this.worker = startWorker(new URL('../../worker/io-worker.js', import.meta.url), {
      workerData: data,
      transferList: [port2],
      stdout: false,
      stderr: false,
    });
    // The worker must never keep the process alive: a script that ends, exits.
    this.worker.unref();
    this.replies.unref();
    this.worker.on('error', (err) => {
      this.dead = String(err?.message ?? err);
    });
    this.worker.on('exit', (code) => {
      this.dead ??= `exited with code ${code}`;
    });
  }

  newId(): number {
    return this.nextId++;
  }

  isDead(): boolean {
    return this.dead !== null;
  }

  /** Fire-and-forget command. */
  post(cmd: Command): void {
    if (this.dead) return;
    this.worker.postMessage(cmd);
  }

  /** Posts a command and blocks until its reply (no deadline: control calls are short). */
  call(body: CommandBody, deadline = Number.POSITIVE_INFINITY): Reply | null {
    this.assertAlive();
    const rid = this.nextRid++;
    this.worker.postMessage({ ...body, rid } as Command);
    let got: Reply | undefined;
    const ok = this.waitUntil(() => {
      got = this.takeReply(rid);
      return got !== undefined;
    }, deadline);
    return ok && got ? got : null;
  }

  private takeReply(rid: number): Reply | undefined {
    const early = this.early.get(rid);
    if (early) {
      this.early.delete(rid);
      return early;
    }
    for (;;) {
      const r = this.nextMessage();
      if (r === undefined) return undefined;
      if (r.rid === rid) return r;
      this.early.set(r.rid, r);
    }
  }

  /** The next reply on the port; connections pushed by listeners are filed on the way. */
  private nextMessage(): Reply | undefined {
    for (;;) {
      const msg = this.receiveMessageOnPort(this.replies);
      if (!msg) return undefined;
      const m = msg.message as PortMessage;
      if (!('op' in m)) return m;
      const queue = this.accepted.get(m.listener);
      if (queue) queue.push(m);
      else this.accepted.set(m.listener, [m]);
    }
  }

  /** Files every message waiting on the port (replies for later takeReply calls). */
  private drainPort(): void {
    for (let r = this.nextMessage(); r !== undefined; r = this.nextMessage()) this.early.set(r.rid, r);
  }

  /** The oldest connection the listener `id` accepted that the caller has not taken. */
  takeAccepted(id: number): Accepted | undefined {
    if (!this.accepted.get(id)?.length) this.drainPort();
    const queue = this.accepted.get(id);
    const a = queue?.shift();
    if (queue && queue.length === 0) this.accepted.delete(id);
    return a;
  }

  /** Connections of listener `id` still waiting on the caller's side (dropped when it closes). */
  dropAccepted(id: number): Accepted[] {
    this.drainPort();
    const queue = this.accepted.get(id) ?? [];
    this.accepted.delete(id);
    return queue;
  }

  private assertAlive(): void {
    if (this.dead) throw new WorkerDeadError(this.dead);
  }

  /**
   * Blocks until `ready()` is true or `deadline` (a performance.now() value, Infinity for
   * none) passes. Returns the final answer of `ready()`. The deadline is honoured to the
   * whole millisecond, as LuaSocket's poll() waits are.
   */
  waitUntil(ready: () => boolean, deadline: number): boolean {
    for (;;) {
      const seq = Atomics.load(this.ctl, Ctl.SEQ);
      if (ready()) return true;
      const now = performance.now();
      const left = Math.floor(deadline - now);
      if (left <= 0) return ready();
      this.checkBeat(now);
      this.assertAlive();
      if (this.spin(seq, now, left)) continue;
      Atomics.store(this.ctl, Ctl.SLEEPING, 1);
      const r = Atomics.wait(this.ctl, Ctl.SEQ, seq, Math.min(left, LIVENESS_SLICE_MS));
      Atomics.store(this.ctl, Ctl.SLEEPING, 0);
      this.learn(r === 'timed-out' ? LIVENESS_SLICE_MS : performance.now() - now);
    }
  }

  /**
   * Liveness, tracked across waits (short waits in a loop must not reset it): the worker
   * bumps HEARTBEAT every HEARTBEAT_MS, so a value unchanged for HEARTBEAT_DEAD_MS means
   * it is gone, however the waits were cut.
   */
  private checkBeat(now: number): void {
    const beat = Atomics.load(this.ctl, Ctl.HEARTBEAT);
    if (beat !== this.beatValue) {
      this.beatValue = beat;
      this.beatAt = now;
    } else if (Atomics.load(this.ctl, Ctl.READY) === 1) {
      if (now - this.beatAt > HEARTBEAT_DEAD_MS) this.dead ??= 'no heartbeat';
    } else if (now - this.startedAt > STARTUP_DEAD_MS) {
      this.dead ??= 'did not start';
    }
  }

  private learn(ms: number): void {
    this.waitAvgMs += (Math.min(ms, 10) - this.waitAvgMs) / 8;
  }

  /** Spins while recent events came quickly; true if the wake word moved meanwhile. */
  private spin(seq: number, now: number, left: number): boolean {
    if (this.waitAvgMs > SPIN_MAX_MS) {
      // Events are slow: sleep. Decay the average a little so a change is noticed.
      this.waitAvgMs *= 0.98;
      return false;
    }
    const end = now + Math.min(2 * this.waitAvgMs + 0.005, SPIN_MAX_MS, left);
    const ctl = this.ctl;
    for (let t = now; t < end; t = performance.now()) {
      for (let i = 0; i < SPIN_CHECKS; i++) {
        if (Atomics.load(ctl, Ctl.SEQ) !== seq) {
          this.learn(performance.now() - now);
          return true;
        }
      }
    }
    // A spin that missed counts against spinning: on a machine with other busy threads the
    // spinner may be the one keeping the worker off a CPU, and must back off.
    this.learn(4 * SPIN_MAX_MS);
    return false;
  }
}

let current: WorkerLink | null = null;

/** Fault injection for tests: makes this thread's worker die (see protocol.ts 'crash'). */
export function injectWorkerFault(how: 'throw' | 'exit' | 'hang', afterMs: number): void {
  workerLink().post({ op: 'crash', how, afterMs });
}

/** This thread's link to its worker, started on first use (again after the worker died). */
export function workerLink(): WorkerLink {
  if (current === null || current.isDead()) current = new WorkerLink();
  return current;
}
