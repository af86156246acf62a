/**
 * The object state rules of spec 2.2 / 2.6: which methods each class accepts (and the exact
 * raise messages), the class changes (master -> server on listen, anything -> client on
 * connect, whatever the outcome), close never changing the class, and resurrection of closed
 * objects by bind/connect. Expected values: LuaSocket 3.1.0, spec 11 p07 and p13.
 */
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { own, portOf } from './helpers/client.js';
import { portable } from './helpers/engine.js';

type Sock = socket.TcpSocket;
type Loose = Record<string, (...a: unknown[]) => unknown>;
const loose = (o: object): Loose => o as unknown as Loose;

/** A loopback port with nothing listening on it. */
function deadPort(t: ExecutionContext): number {
  const [m] = socket.tcp4();
  if (!m) throw new Error('tcp4 failed');
  m.bind('127.0.0.1', 0);
  const port = portOf(t, m);
  m.close();
  return port;
}

/** One object of each class: a tcp4 master, a socket.bind server, a connected client. */
function trio(t: ExecutionContext): { master: Sock; server: Sock; client: Sock; port: number } {
  const master = own(t, socket.tcp4());
  const server = own(t, socket.bind('127.0.0.1', 0));
  const port = portOf(t, server);
  const client = own(t, socket.connect('127.0.0.1', port));
  return { master, server, client, port };
}

/** Arguments that would be valid for each method, so only the class check can object. */
const CALLS: Record<string, unknown[]> = {
  accept: [],
  bind: ['127.0.0.1', 0],
  listen: [],
  send: ['x'],
  receive: [1],
  getstats: [],
  setstats: [0, 0, 0],
  shutdown: [],
};

/**
 * The class each method requires (spec 2.2); methods not listed accept every class.
 * (setsockname, bind's alias, is covered in server-bind.test.ts.)
 */
const REQUIRED: Record<string, string> = {
  accept: 'tcp{server}',
  bind: 'tcp{master}',
  listen: 'tcp{master}',
  send: 'tcp{client}',
  receive: 'tcp{client}',
  getstats: 'tcp{client}',
  setstats: 'tcp{client}',
  shutdown: 'tcp{client}',
};

for (const kind of ['master', 'server', 'client'] as const) {
  test.serial(`methods refused on a ${kind} raise "calling 'NAME' on bad self (tcp{...} expected)"`, (t) => {
    const objs = trio(t);
    const o = objs[kind];
    const cls = `tcp{${kind}}`;
    let checked = 0;
    for (const [name, need] of Object.entries(REQUIRED)) {
      if (need === cls) continue;
      t.throws(() => loose(o)[name]?.(...(CALLS[name] ?? [])), {
        instanceOf: socket.LuaError,
        message: `calling '${name}' on bad self (${need} expected)`,
      });
      checked++;
      t.is(o.class, cls, `${name} left the class alone`);
    }
    t.is(checked, { master: 6, server: 7, client: 3 }[kind]);
  });
}

test.serial('methods every class accepts answer on a master, a server and a client', (t) => {
  const { master, server, client, port } = trio(t);
  for (const o of [master, server, client]) {
    t.deepEqual(o.dirty(), [false], o.class);
    t.deepEqual(o.getfamily(), ['inet4'], o.class);
    // Portable item 1: a fresh master has no OS socket there.
    if (portable && o.class === 'tcp{master}') t.deepEqual(o.getfd(), [-1], o.class);
    else t.true((o.getfd()[0] as number) >= 0, o.class);
    t.deepEqual(o.getoption('keepalive'), [false], o.class);
    t.deepEqual(o.setoption('keepalive', false), [1], o.class);
    t.deepEqual(o.settimeout(0), [1], o.class);
    t.deepEqual(o.gettimeout(), [0, -1], o.class);
  }
  t.deepEqual(master.getsockname(), ['0.0.0.0', 0, 'inet']);
  t.deepEqual(master.getpeername(), [null, 'Transport endpoint is not connected']);
  t.deepEqual(server.getsockname(), ['127.0.0.1', port, 'inet']);
  t.deepEqual(server.getpeername(), [null, 'Transport endpoint is not connected']);
  t.deepEqual(client.getpeername(), ['127.0.0.1', port, 'inet']);
  // The methods the class does accept work: accept on the server, I/O on the client.
  server.settimeout(5);
  const a = own(t, server.accept());
  t.is(a.class, 'tcp{client}');
  t.deepEqual(client.send('x'), [1]);
  t.deepEqual(client.receive(1), [null, 'timeout', '']);
  t.deepEqual(client.shutdown(), [1]);
  t.deepEqual(client.setstats(1, 2, 3), [1]);
  t.deepEqual(client.getstats().slice(0, 2), [1, 2]);
});

test.serial("connect on a server: [null, 'already connected'] and the object becomes a tcp{client}", (t) => {
  const { server, port } = trio(t);
  t.deepEqual(server.connect('127.0.0.1', port), [null, 'already connected']);
  t.is(server.class, 'tcp{client}');
  t.regex(String(server), /^tcp\{client\}: 0x[0-9a-f]+$/);
  t.throws(() => server.accept(), { instanceOf: socket.LuaError, message: "calling 'accept' on bad self (tcp{server} expected)" });
  t.throws(() => server.bind('127.0.0.1', 0), {
    instanceOf: socket.LuaError,
    message: "calling 'bind' on bad self (tcp{master} expected)",
  });
  // setpeername is the same function.
  const [other] = socket.bind('127.0.0.1', 0);
  if (!other) return t.fail();
  t.teardown(() => other.close());
  t.deepEqual(other.setpeername('127.0.0.1', port), [null, 'already connected']);
  t.is(other.class, 'tcp{client}');
});

test.serial('a failed connect still turns a master into a client', (t) => {
  const m = own(t, socket.tcp4());
  t.deepEqual(m.connect('127.0.0.1', deadPort(t)), [null, 'connection refused']);
  t.is(m.class, 'tcp{client}');
  t.throws(() => m.bind('127.0.0.1', 0), { instanceOf: socket.LuaError, message: "calling 'bind' on bad self (tcp{master} expected)" });
  t.throws(() => m.listen(), { instanceOf: socket.LuaError, message: "calling 'listen' on bad self (tcp{master} expected)" });
  t.deepEqual(m.send('x'), [null, 'closed', 0]);
});

test.serial('listen turns a master into a server; timeouts survive both transitions', (t) => {
  const m = own(t, socket.tcp4());
  m.settimeout(0.2);
  t.deepEqual(m.listen(), [1]);
  t.is(m.class, 'tcp{server}');
  t.deepEqual(m.gettimeout(), [0.2, -1]);
  const srv = own(t, socket.bind('127.0.0.1', 0));
  const c = own(t, socket.tcp());
  c.settimeout(0.3);
  t.deepEqual(c.connect('127.0.0.1', portOf(t, srv)), [1]);
  t.is(c.class, 'tcp{client}');
  t.deepEqual(c.gettimeout(), [0.3, -1]);
});

test.serial('close never changes the class; closing twice returns [1] again', (t) => {
  const { master, server, client } = trio(t);
  for (const o of [master, server, client]) {
    const before = o.class;
    t.deepEqual(o.close(), [1]);
    t.deepEqual(o.close(), [1]);
    t.is(o.class, before);
    t.true(String(o).startsWith(`${before}: 0x`));
    t.deepEqual(o.getfd(), [-1]);
    t.deepEqual(o.getsockname(), [null, 'Bad file descriptor']);
    t.deepEqual(o.getpeername(), [null, 'Bad file descriptor']);
    t.deepEqual(o.getoption('tcp-nodelay'), [null, 'getsockopt failed']);
    t.deepEqual(o.setoption('tcp-nodelay', true), [null, 'setsockopt failed']);
    t.deepEqual(o.settimeout(1), [1]);
  }
  // The class rules still apply to closed objects.
  t.throws(() => master.send('x'), { instanceOf: socket.LuaError, message: "calling 'send' on bad self (tcp{client} expected)" });
  t.throws(() => client.accept(), { instanceOf: socket.LuaError, message: "calling 'accept' on bad self (tcp{server} expected)" });
  t.deepEqual(server.accept(), [null, 'closed']);
  t.deepEqual(client.send('abc', 2), [null, 'closed', 1]);
  t.deepEqual(client.shutdown(), [1]);
  t.deepEqual(master.listen(), [null, 'Bad file descriptor']);
});

test.serial('resurrection: bind on a closed master opens a fresh socket', (t) => {
  const m = own(t, socket.tcp4());
  m.close();
  t.deepEqual(m.getfd(), [-1]);
  t.deepEqual(m.bind('127.0.0.1', 0), [1]);
  t.true((m.getfd()[0] as number) >= 0);
  t.is(m.class, 'tcp{master}');
  const port = portOf(t, m);
  t.deepEqual(m.getsockname(), ['127.0.0.1', port, 'inet']);
  t.deepEqual(m.listen(), [1]);
  const c = own(t, socket.connect('127.0.0.1', port));
  t.is(c.class, 'tcp{client}');
});

test.serial('resurrection: connect on a closed master or a closed client opens a fresh socket', (t) => {
  const srv = own(t, socket.bind('127.0.0.1', 0));
  const port = portOf(t, srv);
  srv.settimeout(5);
  const m = own(t, socket.tcp4());
  m.close();
  t.deepEqual(m.connect('127.0.0.1', port), [1]);
  t.is(m.class, 'tcp{client}');
  t.true((m.getfd()[0] as number) >= 0);
  const a = own(t, srv.accept());
  t.deepEqual(m.send('one\n'), [4]);
  t.deepEqual(a.receive(), ['one']);
  t.deepEqual(m.close(), [1]);
  t.deepEqual(m.connect('127.0.0.1', port), [1]);
  t.true((m.getfd()[0] as number) >= 0);
  const b = own(t, srv.accept());
  t.deepEqual(b.getpeername(), m.getsockname());
  t.deepEqual(m.send('two\n'), [4]);
  t.deepEqual(b.receive(), ['two']);
});
