#!/usr/bin/env node
/**
 * npm pack / npm publish (prepack): builds exactly what the tarball ships, from clean:
 * the library and its worker (tsconfig.build.json: no tests, no source maps) and every
 * Linux prebuilt helper (scripts/build-native.mjs --release, which fails when a toolchain
 * is missing: on Debian, apt-get install gcc-aarch64-linux-gnu musl-tools).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (file, args) => execFileSync(process.execPath, [file, ...args], { cwd: root, stdio: 'inherit' });

// Stale output (a deleted source's .js, a helper for a dropped target) must not ship.
for (const dir of ['dist/src', 'dist/worker', 'prebuilds']) fs.rmSync(path.join(root, dir), { recursive: true, force: true });

const tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
run(tsc, ['-p', 'tsconfig.build.json']);
run(path.join(root, 'scripts', 'bundle.mjs'), []);
run(path.join(root, 'scripts', 'build-native.mjs'), ['--release']);
