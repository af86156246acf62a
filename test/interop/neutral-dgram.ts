/**
 * The datagram half of the differential check's neutral peer (neutral-peer.ts): a UDP
 * socket on 127.0.0.1 and one on ::1 (node:dgram), and a unix-domain datagram socket.
 * Node has no unix datagram sockets, so that one lives in a small python3 child process
 * (stdlib only) driven by JSON lines; neither implementation under comparison is involved.
 *
 * Actions (times in ms; DATA as in diff-data.ts):
 *   udpsend {data, to: PORT | "last", via?: "alt", family?: "inet6"}   send one datagram
 *   udprecv {timeout?, echo?, from?: PORT, family?}   one datagram: {data, ip[, sender]}
 *   udpclose {family?}                                 close the peer's UDP socket
 *   dgsend {data, to: PATH | "last", via?: "unbound"}  unix datagram (from the bound socket
 *                                                      or an unbound one)
 *   dgrecv {timeout?, echo?}                           one datagram: {data, from: PATH | ""}
 *   dgclose                                            close the peer's unix datagram socket
 * "sender" is "expected" when the datagram came from port `from`, else "other".
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bytesOf, type DataSpec, encodeBytes } from './diff-data.js';

export interface DatagramCommand {
  peer: string;
  data?: DataSpec;
  to?: number | string;
  via?: string;
  family?: string;
  timeout?: number;
  echo?: boolean;
  from?: number | string;
}

type Reply = Record<string, unknown>;

interface Datagram {
  data: Buffer;
  address: string;
  port: number;
}

/** One UDP socket of the peer with its queue of received datagrams. */
class UdpEnd {
  readonly inbox: Datagram[] = [];
  last: Datagram | null = null;
  closed = false;
  private readonly waiters = new Set<() => void>();
  private constructor(readonly sock: dgram.Socket) {
    sock.on('message', (data, rinfo) => {
      this.inbox.push({ data, address: rinfo.address, port: rinfo.port });
      for (const w of [...this.waiters]) w();
    });
    // ICMP errors on an unconnected socket are not reported; anything else is ignored too.
    sock.on('error', () => {});
  }

  static open(type: 'udp4' | 'udp6', host: string): Promise<UdpEnd> {
    const sock = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, host, () => resolve(new UdpEnd(sock)));
    });
  }

  get port(): number {
    return this.sock.address().port;
  }

  next(ms: number): Promise<Datagram | null> {
    return new Promise((resolve) => {
      const check = () => {
        const d = this.inbox.shift();
        if (!d) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(d);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(null);
      }, ms);
      this.waiters.add(check);
      check();
    });
  }

  send(data: Buffer, port: number, host: string): Promise<Reply> {
    return new Promise((resolve) => {
      this.sock.send(data, port, host, (err) =>
        resolve(err ? { ok: false, error: (err as NodeJS.ErrnoException).code ?? 'error' } : { ok: true }),
      );
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
  }
}

/**
 * A UDP end whose port number is none of `taken` (then added to it): the records name
 * ports by the peer socket they belong to, so two peer ports must never share a number
 * (TCP and UDP, or 127.0.0.1 and ::1, could).
 */
async function openDistinct(type: 'udp4' | 'udp6', host: string, taken: Set<number>): Promise<UdpEnd> {
  for (;;) {
    const end = await UdpEnd.open(type, host);
    if (!taken.has(end.port)) {
      taken.add(end.port);
      return end;
    }
    end.close();
  }
}

// The unix datagram peer: python3, stdlib only. One JSON command per line on stdin, one
// JSON reply per line on stdout. Paths come back absolute; unnamed senders as "".
const PYTHON = `
import json, os, socket, sys
path = sys.argv[1]
main = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
main.bind(path)
unbound = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
last = None
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    op = cmd["op"]
    try:
        if op == "send":
            to = last if cmd["to"] == "last" else cmd["to"]
            s = unbound if cmd.get("unbound") else main
            s.sendto(bytes.fromhex(cmd["hex"]), to)
            reply = {"ok": True}
        elif op == "recv":
            main.settimeout(cmd.get("timeout", 3000) / 1000.0)
            try:
                data, addr = main.recvfrom(1 << 20)
            except socket.timeout:
                reply = {"ok": False, "error": "timeout"}
            else:
                addr = addr if isinstance(addr, str) else (addr or b"").decode("latin1")
                last = addr or None
                if cmd.get("echo") and addr:
                    main.sendto(data, addr)
                reply = {"ok": True, "hex": data.hex(), "from": addr}
        elif op == "close":
            main.close()
            reply = {"ok": True}
        else:
            reply = {"ok": False, "error": "unknown op " + op}
    except OSError as e:
        reply = {"ok": False, "error": type(e).__name__}
    print(json.dumps(reply), flush=True)
`;

/** The python3 child owning the peer's unix datagram socket. */
class UnixDgramEnd {
  private readonly replies: string[] = [];
  private readonly waiters = new Set<() => void>();
  private dead = false;
  private constructor(private readonly proc: ChildProcess) {
    const lines = createInterface({ input: proc.stdout! });
    lines.on('line', (l) => {
      this.replies.push(l);
      for (const w of [...this.waiters]) w();
    });
    proc.on('exit', () => {
      this.dead = true;
      for (const w of [...this.waiters]) w();
    });
    proc.on('error', () => {
      this.dead = true;
    });
  }

  static async start(path: string): Promise<UnixDgramEnd | null> {
    const proc = spawn('python3', ['-c', PYTHON, path], { stdio: ['pipe', 'pipe', 'inherit'] });
    const end = new UnixDgramEnd(proc);
    const ready = await end.reply(5000);
    return ready?.ready === true ? end : null;
  }

  private reply(ms: number): Promise<Reply | null> {
    return new Promise((resolve) => {
      const check = () => {
        const l = this.replies.shift();
        if (l === undefined && !this.dead) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(l === undefined ? null : (JSON.parse(l) as Reply));
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(null);
      }, ms);
      this.waiters.add(check);
      check();
    });
  }

  async ask(cmd: Reply, ms: number): Promise<Reply> {
    if (this.dead) return { ok: false, error: 'unix datagram peer is gone' };
    this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
    return (await this.reply(ms)) ?? { ok: false, error: 'unix datagram peer did not answer' };
  }

  stop(): void {
    if (!this.dead) this.proc.kill('SIGKILL');
  }
}

/** Every datagram endpoint of one neutral peer, and the variables sequences see. */
export class DatagramPeers {
  private constructor(
    private readonly udp4: UdpEnd,
    private readonly udp6: UdpEnd,
    private readonly alt: UdpEnd,
    private readonly unixDgram: UnixDgramEnd | null,
    readonly vars: Record<string, number | string>,
  ) {}

  /** `taken`: the peer's TCP ports, which no UDP port of the peer may equal. */
  static async start(dir: string, taken: Set<number>): Promise<DatagramPeers> {
    const udp4 = await openDistinct('udp4', '127.0.0.1', taken);
    const udp6 = await openDistinct('udp6', '::1', taken);
    const alt = await openDistinct('udp4', '127.0.0.1', taken);
    // A bound-then-closed port: datagrams to it draw ICMP port unreachable.
    const dead = await openDistinct('udp4', '127.0.0.1', taken);
    const udpdead = dead.port;
    dead.close();
    const dgrampeer = join(dir, 'peer-dgram.sock');
    const unixDgram = await UnixDgramEnd.start(dgrampeer);
    const vars = { udppeer: udp4.port, udp6peer: udp6.port, udpdead, dgrampeer };
    return new DatagramPeers(udp4, udp6, alt, unixDgram, vars);
  }

  /** The reply to a datagram action, or undefined when `cmd` is not one. */
  async run(cmd: DatagramCommand): Promise<Reply | undefined> {
    const six = cmd.family === 'inet6';
    const end = six ? this.udp6 : this.udp4;
    const host = six ? '::1' : '127.0.0.1';
    switch (cmd.peer) {
      case 'udpsend': {
        const from = cmd.via === 'alt' ? this.alt : end;
        const data = bytesOf(cmd.data ?? '');
        if (cmd.to === 'last') {
          if (!end.last) return { ok: false, error: 'no datagram received yet' };
          return from.send(data, end.last.port, end.last.address);
        }
        return from.send(data, Number(cmd.to), host);
      }
      case 'udprecv': {
        const d = await end.next(cmd.timeout ?? 3000);
        if (!d) return { ok: false, error: 'timeout' };
        end.last = d;
        if (cmd.echo) await end.send(d.data, d.port, d.address);
        const reply: Reply = { ok: true, data: encodeBytes(d.data), ip: d.address };
        if (cmd.from !== undefined) reply.sender = d.port === Number(cmd.from) ? 'expected' : 'other';
        return reply;
      }
      case 'udpclose':
        end.close();
        return { ok: true };
      case 'dgsend':
      case 'dgrecv':
      case 'dgclose': {
        if (!this.unixDgram) return { ok: false, error: 'no unix datagram peer (python3 missing?)' };
        const wait = (cmd.timeout ?? 3000) + 2000;
        if (cmd.peer === 'dgclose') return this.unixDgram.ask({ op: 'close' }, wait);
        if (cmd.peer === 'dgsend') {
          const hex = bytesOf(cmd.data ?? '').toString('hex');
          return this.unixDgram.ask({ op: 'send', hex, to: cmd.to, unbound: cmd.via === 'unbound' }, wait);
        }
        const r = await this.unixDgram.ask({ op: 'recv', timeout: cmd.timeout ?? 3000, echo: cmd.echo === true }, wait);
        if (r.ok !== true) return r;
        return { ok: true, data: encodeBytes(Buffer.from(String(r.hex), 'hex')), from: r.from };
      }
      default:
        return undefined;
    }
  }

  stop(): void {
    this.udp4.close();
    this.udp6.close();
    this.alt.close();
    this.unixDgram?.stop();
  }
}
