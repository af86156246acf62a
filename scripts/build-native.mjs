#!/usr/bin/env node
/**
 * Builds the native helper (native/*.c) with a plain C compiler: no node-gyp, no Python,
 * no download. The helper uses only stable Node-API (version 8), whose C headers are
 * declarations only, so one binary per platform/arch/libc serves every Node.js release,
 * and cross-compiling needs nothing but a cross C compiler.
 *
 *   node scripts/build-native.mjs                 the host's helper, from source (npm run build:native)
 *   node scripts/build-native.mjs --if-compiler   the same, skipped silently without a C compiler
 *                                                 or when it is up to date (npm run build)
 *   node scripts/build-native.mjs --release       every Linux prebuild this machine's toolchains
 *                                                 can make; fails if one is missing (prepack)
 *   node scripts/build-native.mjs --posix-fallbacks   host build with every POSIX fallback
 *                                                 forced on (compat.h), to test them on Linux
 *
 * Output: prebuilds/<platform>-<arch>/luasocket[.glibc|.musl].node, the names src/native.ts
 * looks for. Node-API headers come from $LUASOCKET_NAPI_INCLUDE, the running Node.js's own
 * include/node, $npm_config_nodedir, or the node-api-headers package, whichever has them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = path.join(root, 'native');
const args = new Set(process.argv.slice(2));
const quietSkip = args.has('--if-compiler');
const NAPI_VERSION = 8;
/** Newest glibc symbol version a glibc prebuild may need: Node.js 20's own floor. */
const GLIBC_MAX = [2, 28];

function fail(message) {
  console.error(`build-native: ${message}`);
  process.exit(1);
}

function onPath(cmd) {
  if (cmd.includes('/')) return fs.existsSync(cmd);
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, cmd)));
}

/** glibc or musl, as src/native.ts decides it (null off Linux or when it cannot tell). */
function hostLibc() {
  if (process.platform !== 'linux') return null;
  try {
    return process.report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl';
  } catch {
    return null;
  }
}

/** The file name src/native.ts loads for a platform, arch and libc. */
function prebuildPath(platform, arch, libc) {
  return path.join(root, 'prebuilds', `${platform}-${arch}`, `luasocket${libc ? `.${libc}` : ''}.node`);
}

function napiInclude() {
  const candidates = [
    process.env.LUASOCKET_NAPI_INCLUDE,
    path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
    process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
  ];
  try {
    const pkg = createRequire(path.join(root, 'package.json')).resolve('node-api-headers/package.json');
    candidates.push(path.join(path.dirname(pkg), 'include'));
  } catch {
    // not installed: the other places will do
  }
  return candidates.find((dir) => dir && fs.existsSync(path.join(dir, 'node_api.h')));
}

function sources() {
  return fs
    .readdirSync(nativeDir)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => path.join(nativeDir, f));
}

/** What each output was last built with (build/ is neither committed nor shipped). */
const stampFile = path.join(root, 'build', 'native-stamps.json');

function readStamps() {
  try {
    return JSON.parse(fs.readFileSync(stampFile, 'utf8'));
  } catch {
    return {};
  }
}

/** True if out was built by this very command and is newer than every input. */
function upToDate(out, command) {
  if (!fs.existsSync(out) || readStamps()[path.relative(root, out)] !== command) return false;
  const built = fs.statSync(out).mtimeMs;
  const inputs = fs.readdirSync(nativeDir).map((f) => path.join(nativeDir, f));
  inputs.push(fileURLToPath(import.meta.url));
  return inputs.every((f) => fs.statSync(f).mtimeMs < built);
}

/** Compiles native/*.c into out; with ifStale, only when out is not up to date. */
function compile({ cc, out, platform, defines = [], ifStale = false }) {
  const include = napiInclude();
  if (!include) fail('Node-API headers (node_api.h) not found: set LUASOCKET_NAPI_INCLUDE or install node-api-headers');
  const flags = ['-std=gnu11', '-O2', '-fPIC', '-fvisibility=hidden', '-Wall', '-Wextra', '-Wno-unused-parameter'];
  flags.push(`-DNAPI_VERSION=${NAPI_VERSION}`, ...defines.map((d) => `-D${d}`), `-I${include}`);
  // Node.js provides the napi_* symbols at load time.
  const link = platform === 'darwin' ? ['-bundle', '-undefined', 'dynamic_lookup'] : ['-shared', '-s'];
  const command = [cc, ...flags, ...link].join(' ');
  if (ifStale && upToDate(out, command)) return false;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync(cc, [...flags, ...sources(), ...link, '-o', tmp], { stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    fail(`${cc} failed${r.error ? `: ${r.error.message}` : ''}`);
  }
  fs.renameSync(tmp, out); // atomic: a running process never sees half a file
  const stamps = readStamps();
  stamps[path.relative(root, out)] = command;
  fs.mkdirSync(path.dirname(stampFile), { recursive: true });
  fs.writeFileSync(stampFile, `${JSON.stringify(stamps, null, 2)}\n`);
  return true;
}

/** The cross targets a Debian machine can build, with the compiler for each. */
function linuxTargets() {
  const x64 = os.arch() === 'x64';
  const arm64 = os.arch() === 'arm64';
  return [
    { arch: 'x64', libc: 'glibc', cc: x64 ? 'cc' : 'x86_64-linux-gnu-gcc', apt: 'gcc-x86-64-linux-gnu' },
    { arch: 'x64', libc: 'musl', cc: x64 ? 'musl-gcc' : null, apt: 'musl-tools (on an x64 machine)' },
    { arch: 'arm64', libc: 'glibc', cc: arm64 ? 'cc' : 'aarch64-linux-gnu-gcc', apt: 'gcc-aarch64-linux-gnu' },
  ];
}

/** The libc.so a compiler links against, from the linker's trace of an empty library. */
function linkedLibc(cc) {
  const tmp = path.join(os.tmpdir(), `luasocket-libc-probe-${process.pid}.so`);
  try {
    const trace = execFileSync(cc, ['-shared', '-x', 'c', '/dev/null', '-o', tmp, '-Wl,--trace'], { encoding: 'utf8' });
    const lib = trace.split('\n').find((l) => /\/libc\.so$/.test(l.trim()));
    if (!lib) fail(`cannot find the libc.so that ${cc} links against`);
    return lib.trim();
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

const ELF_MACHINE = { x64: 'X86-64', arm64: 'AArch64' };

/** Checks a built ELF: right machine, right libc, nothing undefined but napi_* and libc. */
function verify(out, { arch, libc, cc }) {
  if (!onPath('readelf')) return `${path.relative(root, out)} (not verified: no readelf)`;
  const readelf = (...a) => execFileSync('readelf', ['-W', ...a, out], { encoding: 'utf8' });
  const machine = /Machine:\s+(.*)/.exec(readelf('-h'))?.[1] ?? '?';
  if (!machine.includes(ELF_MACHINE[arch])) fail(`${out}: machine ${machine}, expected ${ELF_MACHINE[arch]}`);
  const needed = [...readelf('-d').matchAll(/\(NEEDED\)\s+Shared library: \[(.*)\]/g)].map((m) => m[1]);
  const wantLib = libc === 'musl' ? 'libc.so' : 'libc.so.6';
  if (needed.some((n) => n !== wantLib)) fail(`${out}: needs ${needed.join(', ')}, expected only ${wantLib}`);
  const undefs = readelf('--dyn-syms')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[6] === 'UND' && f[7] && f[4] !== 'WEAK')
    .map((f) => f[7]);
  const napi = undefs.filter((s) => s.startsWith('napi_'));
  const others = undefs.filter((s) => !s.startsWith('napi_'));
  if (libc === 'glibc') {
    for (const s of others) {
      const v = /@GLIBC_(\d+)\.(\d+)/.exec(s);
      if (!v) fail(`${out}: ${s} is neither napi_* nor a glibc symbol`);
      const [maj, min] = [Number(v[1]), Number(v[2])];
      if (maj > GLIBC_MAX[0] || (maj === GLIBC_MAX[0] && min > GLIBC_MAX[1]))
        fail(`${out}: ${s} needs glibc newer than ${GLIBC_MAX.join('.')}`);
    }
  } else {
    // musl has no symbol versions: every name must be one musl's libc.so defines.
    const libcPath = linkedLibc(cc);
    const defined = new Set(
      execFileSync('readelf', ['-W', '--dyn-syms', libcPath], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f[6] && f[6] !== 'UND')
        .map((f) => f[7]?.replace(/@.*/, '')),
    );
    const missing = others.filter((s) => !defined.has(s));
    if (missing.length) fail(`${out}: not in musl's libc: ${missing.join(', ')}`);
  }
  return `${path.relative(root, out)}: ${machine}, needs ${needed.join(' ') || 'nothing'}, ${napi.length} napi_* + ${others.length} libc symbols`;
}

function buildRelease() {
  if (os.platform() !== 'linux') fail('release prebuilds are built on Linux');
  const missing = linuxTargets().filter((t) => !t.cc || !onPath(t.cc));
  if (missing.length) fail(`missing C toolchains for ${missing.map((t) => `linux-${t.arch} ${t.libc} (apt: ${t.apt})`).join('; ')}`);
  for (const t of linuxTargets()) {
    const out = prebuildPath('linux', t.arch, t.libc);
    compile({ cc: t.cc, out, platform: 'linux' });
    console.log(`build-native: ${verify(out, t)}`);
  }
}

function buildHost() {
  const cc = [process.env.CC, 'cc', 'gcc', 'clang'].find((c) => c && onPath(c));
  if (!cc) {
    if (quietSkip) return;
    fail('no C compiler (cc, gcc or clang) on PATH');
  }
  if (quietSkip && !napiInclude()) return;
  const libc = hostLibc();
  if (process.platform === 'linux' && !libc) fail('cannot tell glibc from musl on this machine');
  const out = prebuildPath(process.platform, process.arch, libc);
  const fallbacks = args.has('--posix-fallbacks');
  const defines = fallbacks ? ['LUASOCKET_POSIX_FALLBACKS'] : [];
  const built = compile({ cc, out, platform: process.platform, defines, ifStale: quietSkip });
  if (built && !quietSkip) console.log(`build-native: ${path.relative(root, out)}${fallbacks ? ' (POSIX fallbacks forced)' : ''}`);
}

if (args.has('--release')) buildRelease();
else buildHost();
