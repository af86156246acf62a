/**
 * The package's entry point (dist/src/luasocket.js, built by scripts/bundle.mjs): a small ES
 * module that compiles the bundled library (luasocket-body.js) with the V8 code cache made at
 * build time. It must export what the per-file build exports, work when this Node accepts the
 * cache, and work just the same when V8 rejects it (another Node version, other flags).
 * Each check runs in a child process: the import is what is tested. The child is
 * `node --input-type=module -e <script>`, so these also check that the I/O worker starts in
 * such a process (it inherits the script's Node options, and refuses --input-type).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);
const entry = new URL('../src/luasocket.js', import.meta.url);
const perFile = new URL('../src/index.js', import.meta.url);
const body = new URL('../src/luasocket-body.js', import.meta.url);
const cache = new URL('../src/luasocket-body.js.cache', import.meta.url);

/** Runs an ES module script in a fresh Node (this engine's environment) and returns its stdout as JSON. */
async function child(script: string, nodeOptions: string[] = []): Promise<unknown> {
  const { stdout } = await run(process.execPath, [...nodeOptions, '--input-type=module', '-e', script], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '');
}

/** A loopback round trip through the library object `lib`: bind, connect, accept, send, receive. */
const ROUND_TRIP = `
  const [server, bindErr] = lib.bind('127.0.0.1', 0);
  if (!server) throw new Error(bindErr);
  const [, port] = server.getsockname();
  const [client, connectErr] = lib.connect('127.0.0.1', port);
  if (!client) throw new Error(connectErr);
  const [peer] = server.accept();
  client.settimeout(10);
  peer.send('hello entry\\n');
  const echoed = client.receive('*l');
  for (const s of [client, peer, server]) s.close();
`;

test('the entry exports exactly what the per-file build exports, and works', async (t) => {
  const out = (await child(`
    const lib = await import(${JSON.stringify(entry.href)});
    const perFile = await import(${JSON.stringify(perFile.href)});
    ${ROUND_TRIP}
    console.log(JSON.stringify({
      names: Object.keys(lib).sort(),
      perFileNames: Object.keys(perFile).sort(),
      kinds: Object.keys(lib).sort().map((k) => typeof lib[k]),
      perFileKinds: Object.keys(perFile).sort().map((k) => typeof perFile[k]),
      engine: lib.engine,
      defaultIsTheApi: lib.default.connect === lib.connect && lib.default.try === lib.try,
      echoed,
    }));
  `)) as Record<string, unknown>;
  t.deepEqual(out.names, out.perFileNames);
  t.deepEqual(out.kinds, out.perFileKinds);
  t.is(out.engine, process.env.LUASOCKET_ENGINE ?? out.engine);
  t.true(out.defaultIsTheApi);
  t.deepEqual(out.echoed, ['hello entry']);
});

test('the build made a code cache this Node accepts', async (t) => {
  t.true(fs.statSync(cache).size > 0);
  const out = (await child(`
    const { readFileSync } = await import('node:fs');
    const { Script } = await import('node:vm');
    const script = new Script(readFileSync(new URL(${JSON.stringify(body.href)}), 'utf8'), {
      filename: 'luasocket-body.js',
      cachedData: readFileSync(new URL(${JSON.stringify(cache.href)})),
    });
    console.log(JSON.stringify({ rejected: script.cachedDataRejected }));
  `)) as { rejected: boolean };
  t.false(out.rejected);
});

test('a code cache V8 rejects changes nothing but speed', async (t) => {
  const out = (await child(`
    const { readFileSync } = await import('node:fs');
    const { Script } = await import('node:vm');
    const cachedData = readFileSync(new URL(${JSON.stringify(cache.href)}));
    // V8's header: magic number, then the hash of the V8 version that made it; as another Node's.
    for (let i = 4; i < 8; i++) cachedData[i] ^= 0xff;
    const script = new Script(readFileSync(new URL(${JSON.stringify(body.href)}), 'utf8'), {
      filename: 'luasocket-body.js',
      cachedData,
    });
    const lib = script.runInThisContext()(${JSON.stringify(entry.href)});
    ${ROUND_TRIP}
    console.log(JSON.stringify({ rejected: script.cachedDataRejected, engine: lib.engine, echoed }));
  `)) as { rejected: boolean; engine: string; echoed: unknown };
  t.true(out.rejected);
  t.deepEqual(out.echoed, ['hello entry']);
});

test('the I/O worker starts under --input-type beside an option a worker refuses (--expose-gc)', async (t) => {
  const out = (await child(
    `
    const lib = await import(${JSON.stringify(entry.href)});
    ${ROUND_TRIP}
    console.log(JSON.stringify({ echoed, gc: typeof globalThis.gc }));
  `,
    ['--expose-gc'],
  )) as { echoed: unknown; gc: string };
  t.deepEqual(out.echoed, ['hello entry']);
  t.is(out.gc, 'function');
});
