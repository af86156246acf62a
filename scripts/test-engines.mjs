#!/usr/bin/env node
/**
 * `npm test` after the build: the whole ava suite once per engine — the native one (when
 * its helper loads here) and the portable one, forced with LUASOCKET_ENGINE. The packaging
 * test checks both engines itself, so it runs once. The last lines add the runs up
 * ("N tests passed", "M tests failed"), as .ci/run reads them.
 *   node scripts/test-engines.mjs [ava arguments...]
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ava = path.join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
const extra = process.argv.slice(2);

const { nativeLoadError } = await import(path.join(root, 'dist', 'src', 'native.js'));
const engines = nativeLoadError === null ? ['native', 'portable'] : ['portable'];
if (nativeLoadError !== null) console.log(`native engine not tested: ${nativeLoadError}`);

const totals = { passed: 0, failed: 0, skipped: 0, uncaught: 0 };
let failedRun = false;
for (const engine of engines) {
  console.log(`\n=== ava, LUASOCKET_ENGINE=${engine}`);
  const files = extra.length > 0 ? extra : engine === 'native' ? [] : ['test/**/*.test.ts', '!test/packaging.test.ts'];
  // Streamed as it comes (a run lasts minutes), and kept to add up the results.
  const child = spawn(process.execPath, [ava, ...files], {
    cwd: root,
    env: { ...process.env, LUASOCKET_ENGINE: engine },
    stdio: ['inherit', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    out += d;
    process.stdout.write(d);
  });
  child.stderr.on('data', (d) => {
    out += d;
    process.stderr.write(d);
  });
  const status = await new Promise((resolve) => child.on('close', (code) => resolve(code)));
  const r = { status };
  // ava prints no "passed" total when something failed: count the passing tests' lines.
  totals.passed += [...out.matchAll(/^\s+✔ /gm)].length;
  for (const [key, re] of Object.entries({
    failed: /(\d+) tests? failed/,
    skipped: /(\d+) tests? skipped/,
    uncaught: /(\d+) uncaught exceptions?/,
  })) {
    const all = [...out.matchAll(new RegExp(re.source, 'g'))];
    totals[key] += Number(all.at(-1)?.[1] ?? 0);
  }
  if (r.status !== 0) failedRun = true;
}
console.log(`\nengines: ${engines.join(', ')}`);
if (totals.skipped) console.log(`${totals.skipped} tests skipped`);
console.log(`${totals.passed} tests passed`);
console.log(`${totals.failed + totals.uncaught + (failedRun && totals.failed + totals.uncaught === 0 ? 1 : 0)} tests failed`);
process.exit(failedRun ? 1 : 0);
