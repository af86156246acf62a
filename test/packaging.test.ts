/**
 * Packaging (issue #9): the npm tarball ships only what runs, and installs and works where
 * there is no C compiler and no install script runs.
 *
 * `npm pack` runs in a copy of the sources (its prepack rebuilds dist/ and prebuilds/, which
 * the other test files are using meanwhile), the tarball is installed into a fresh project
 * with `npm install --ignore-scripts --offline` (the package has no dependencies) and a PATH
 * holding only node and npm, and there an ESM script (`import`), a CommonJS script
 * (`require`) and `tsc --noEmit` over a TypeScript file use it. Each script talks to a
 * node:net echo server on its own worker thread, so that the script's blocking calls cannot
 * stall it. The scripts run twice: with the prebuilt helper (native engine), then with the
 * installed copy's prebuilds/ removed (portable engine).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
/** What `npm pack` builds from (and nothing of dist/, prebuilds/ or the tests). */
const SOURCES = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'src', 'worker', 'native', 'scripts'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'luasocket-pack-'));
const app = path.join(tmp, 'app');
const installed = path.join(app, 'node_modules', PKG.name);

/** A directory holding only node and npm: the PATH of a machine with no C compiler. */
function bareBin(): string {
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  const npm = (process.env.PATH ?? '')
    .split(path.delimiter)
    .map((dir) => path.join(dir, 'npm'))
    .find((p) => fs.existsSync(p));
  if (!npm) throw new Error('npm is not on PATH');
  fs.symlinkSync(fs.realpathSync(npm), path.join(bin, 'npm'));
  return bin;
}

const ECHO_CJS = `'use strict';
// A loopback echo server on its own thread; the port comes back through shared memory, so
// the caller needs no event-loop turn to learn it.
const { Worker } = require('node:worker_threads');
exports.startEcho = function startEcho() {
  const port = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    "const { workerData } = require('node:worker_threads');" +
      "const server = require('node:net').createServer((c) => c.pipe(c));" +
      "server.listen(0, '127.0.0.1', () => { Atomics.store(workerData, 0, server.address().port); Atomics.notify(workerData, 0); });",
    { eval: true, workerData: port },
  );
  worker.unref();
  if (Atomics.wait(port, 0, 0, 20000) === 'timed-out') throw new Error('the echo server did not start');
  return Atomics.load(port, 0);
};
`;

/** The body both scripts share: one line there and back over loopback. */
const ECHO_ONCE = `const port = startEcho();
const [c, err] = socket.connect('127.0.0.1', port);
if (!c) throw new Error('connect: ' + err);
c.settimeout(10);
const sent = c.send('hello from the tarball\\n');
const got = c.receive('*l');
c.close();
console.log(JSON.stringify({ engine: socket.engine, sent, got }));
`;

const ESM = `import * as socket from '${PKG.name}';
import { startEcho } from './echo.cjs';
${ECHO_ONCE}`;

const CJS = `'use strict';
const socket = require('${PKG.name}');
const { startEcho } = require('./echo.cjs');
${ECHO_ONCE}`;

const TS = `import * as socket from '${PKG.name}';

export function echoOnce(port: number): string | null {
  const [c, err] = socket.connect('127.0.0.1', port);
  if (c === null) return err;
  c.settimeout(1.5);
  const sent: socket.SendResult = c.send('ping\\n');
  const [line]: socket.ReceiveResult<string> = c.receive('*l');
  c.close();
  return sent[0] === null || typeof line !== 'string' ? null : line;
}

export const engine: 'native' | 'portable' = socket.engine;
export const failure: typeof socket.LuaError = socket.LuaError;

// @ts-expect-error: a port is a number or a string (this line proves the types are not any)
socket.connect('127.0.0.1', { port: 80 });
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
  },
  files: ['use.ts'],
};

interface Packed {
  tarball: string;
  files: string[];
  env: NodeJS.ProcessEnv;
}

/** Packs a copy of the sources and installs the tarball into a fresh project. */
async function packAndInstall(): Promise<Packed> {
  const copy = path.join(tmp, 'source');
  for (const entry of SOURCES) {
    if (fs.existsSync(path.join(ROOT, entry))) fs.cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  await run('npm', ['pack', '--pack-destination', tmp], { cwd: copy, maxBuffer: 16 << 20 });
  const tarball = path.join(tmp, `${PKG.name}-${PKG.version}.tgz`);
  const { stdout } = await run('tar', ['-tzf', tarball]);
  const files = stdout
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));

  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  fs.writeFileSync(path.join(app, 'echo.cjs'), ECHO_CJS);
  fs.writeFileSync(path.join(app, 'esm.mjs'), ESM);
  fs.writeFileSync(path.join(app, 'cjs.cjs'), CJS);
  fs.writeFileSync(path.join(app, 'use.ts'), TS);
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  // Nothing of this project's environment (npm_config_*, a compiler on PATH) leaks in.
  const env = { PATH: bareBin(), HOME: process.env.HOME ?? tmp, npm_config_update_notifier: 'false' };
  await run('npm', ['install', '--ignore-scripts', '--offline', '--no-audit', '--no-fund', tarball], { cwd: app, env });
  return { tarball, files, env };
}

const packed = packAndInstall();
packed.catch(() => {}); // reported by each test that awaits it

test.after.always(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs one of the app's scripts with the bare PATH; its last stdout line, parsed. */
async function runScript(env: NodeJS.ProcessEnv, script: string): Promise<{ engine: unknown; sent: unknown; got: unknown }> {
  const { stdout } = await run('node', [script], { cwd: app, env, timeout: 30000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '');
}

const ECHOED = { sent: [23], got: ['hello from the tarball'] };

test.serial(
  'npm pack ships only what runs: the library, its worker, the prebuilt helpers and their sources, README, LICENSE',
  async (t) => {
    const { files } = await packed;
    const allowed = [
      /^package\.json$/,
      /^README\.md$/,
      /^LICENSE$/,
      /^dist\/(src|worker)\/.+\.(js|d\.ts)$/,
      /^dist\/src\/luasocket-body\.js\.cache$/,
      /^prebuilds\/[a-z0-9]+-[a-z0-9]+\/luasocket(\.glibc|\.musl)?\.node$/,
      /^native\/[a-z_]+\.[ch]$/,
      /^scripts\/build-native\.mjs$/,
    ];
    t.deepEqual(
      files.filter((f) => !allowed.some((re) => re.test(f))),
      [],
      'files outside the allowed set',
    );
    for (const needed of [
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/luasocket.js',
      'dist/src/luasocket-body.js',
      'dist/src/luasocket-body.js.cache',
      'dist/worker/io-worker.js',
      'prebuilds/linux-x64/luasocket.glibc.node',
      'prebuilds/linux-x64/luasocket.musl.node',
      'prebuilds/linux-arm64/luasocket.glibc.node',
      'native/module.c',
      'README.md',
      'LICENSE',
    ]) {
      t.true(files.includes(needed), `${needed} is in the tarball`);
    }
    t.false(
      files.some((f) => f === 'binding.gyp'),
      'no binding.gyp: no package manager may run node-gyp at install',
    );
  },
);

test.serial('installed with --ignore-scripts and no C compiler: import, require and tsc work, on the native engine', async (t) => {
  const { env } = await packed;
  for (const compiler of ['cc', 'gcc', 'clang', 'make']) {
    t.false(
      (env.PATH ?? '').split(path.delimiter).some((dir) => fs.existsSync(path.join(dir, compiler))),
      `${compiler} is not on PATH`,
    );
  }
  t.like(await runScript(env, 'esm.mjs'), { engine: 'native', ...ECHOED }, 'ESM import');
  t.like(await runScript(env, 'cjs.cjs'), { engine: 'native', ...ECHOED }, 'CommonJS require');
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const checked = await run('node', [tsc, '-p', 'tsconfig.json'], { cwd: app, env }).then(
    () => 'ok',
    (err: { stdout?: string }) => err.stdout ?? String(err),
  );
  t.is(checked, 'ok', 'tsc --noEmit over use.ts');
});

test.serial('with the prebuilt helpers removed from the installed copy: the same scripts work on the portable engine', async (t) => {
  const { env } = await packed;
  fs.rmSync(path.join(installed, 'prebuilds'), { recursive: true, force: true });
  t.like(await runScript(env, 'esm.mjs'), { engine: 'portable', ...ECHOED }, 'ESM import');
  t.like(await runScript(env, 'cjs.cjs'), { engine: 'portable', ...ECHOED }, 'CommonJS require');
});
