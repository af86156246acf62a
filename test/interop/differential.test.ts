/**
 * The differential check: every sequence in test/interop/differential/*.json runs twice,
 * once on the real LuaSocket (diff-runner.lua) and once on this package (diff.ts), at the
 * same time, each against its own fresh neutral peer (neutral-peer.ts); the two records must agree step by step
 * (return values, error messages, peer observations, and durations within a tolerance).
 *
 * DIFF_ONLY=REGEX runs only the sequences whose file name matches; DIFF_SIDE=lua runs only
 * the real LuaSocket's side, checks its "expect"/"expectError"/"within" and logs its
 * normalised record (ava --verbose shows it): how a new sequence is checked before this
 * package implements what it uses.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import * as socket from '../../src/index.js';
import { closeInTime, normalise, type Run, runSequence, type Sequence } from './diff.js';
import { Child, interopDir, luaStatus, skipTitle } from './lua.js';

const dir = join(interopDir, 'differential');

interface Peer {
  proc: Child;
  ctl: number;
  data: number;
  /** Its temp directory for socket files (it removes it itself unless it is killed). */
  dir: string;
}

async function startPeer(): Promise<Peer> {
  const proc = Child.node('./neutral-peer.js', []);
  const m = /^ports (\d+) (\d+) (\S+)$/.exec(await proc.line());
  if (!m) {
    proc.kill();
    throw new Error('neutral peer did not print its ports');
  }
  return { proc, ctl: Number(m[1]), data: Number(m[2]), dir: m[3] };
}

/** Stops a peer that is still running and removes what it may have left. */
function stopPeer(p: Peer): void {
  p.proc.kill();
  rmSync(p.dir, { recursive: true, force: true });
}

/** The real LuaSocket's run of `file` against `peer`. */
async function luaRun(file: string, peer: Peer): Promise<Run> {
  const lua = Child.lua('diff-runner.lua', [join(dir, file), String(peer.ctl), String(peer.data)]);
  try {
    const ex = await lua.exit(60000);
    const line = ex.stdout.split('\n').find((l) => l.startsWith('result '));
    if (ex.code !== 0 || !line) throw new Error(`diff-runner.lua failed (${ex.code}): ${ex.stderr}`);
    return JSON.parse(line.slice(7)) as Run;
  } finally {
    lua.kill();
  }
}

/** Only LuaSocket's side, with its own peer. */
async function luaOnly(file: string): Promise<Run> {
  const a = await startPeer();
  try {
    const run = await luaRun(file, a);
    await a.proc.exit(10000);
    return run;
  } finally {
    stopPeer(a);
  }
}

/**
 * Both runs at once, each with its own peer: the Lua runner is a child process, so it
 * proceeds while this thread is blocked running the same sequence on this package. The
 * runner prints its record only at the end, and it fits in the pipe until we read it.
 */
async function bothRuns(file: string, seq: Sequence): Promise<[Run, Run]> {
  const a = await startPeer();
  let b: Peer | null = null;
  try {
    b = await startPeer();
    const lua = luaRun(file, a);
    // Started before this thread blocks in runSequence; awaited after.
    lua.catch(() => {});
    const ours = runSequence(seq, b.ctl, b.data);
    const theirs = await lua;
    await a.proc.exit(10000);
    await b.proc.exit(10000);
    return [theirs, ours];
  } finally {
    stopPeer(a);
    if (b) stopPeer(b);
  }
}

/** LuaSocket's record against the sequence's own expectations; logs the normalised record. */
function checkLua(t: ExecutionContext, seq: Sequence, lua: Run): void {
  t.is(lua.records.length, seq.steps.length, 'LuaSocket ran every step');
  seq.steps.forEach((step, k) => {
    const what = `step ${k + 1} ${JSON.stringify(step)}`;
    const a = lua.records[k];
    if (!a) return;
    const na = normalise(step, a, lua);
    t.log(
      `${k + 1} ${step.peer ? `peer ${step.peer}` : (step.call ?? step.get)}: ${JSON.stringify(na)}${a.t !== undefined ? ` t=${a.t.toFixed(3)}` : ''}`,
    );
    if (step.expect) t.deepEqual(na.ret, step.expect, `${what}: LuaSocket did not return the expected values`);
    if (step.expectError) t.is(na.error, step.expectError, `${what}: LuaSocket did not raise the expected error`);
    if (step.within && a.t !== undefined) {
      const [lo, hi] = step.within;
      t.true(a.t >= lo && a.t < hi, `${what}: LuaSocket took ${a.t.toFixed(3)} s, outside [${lo}, ${hi})`);
    }
  });
}

/**
 * Every step is checked and every disagreement is listed (an assertion stops a test at
 * its first failure, which would hide the rest of a sequence).
 */
function compare(t: ExecutionContext, seq: Sequence, lua: Run, ours: Run): void {
  t.is(ours.records.length, seq.steps.length, 'this package ran every step');
  t.is(lua.records.length, seq.steps.length, 'LuaSocket ran every step');
  const problems: string[] = [];
  const check = (ok: boolean, msg: string) => {
    if (!ok) problems.push(msg);
  };
  seq.steps.forEach((step, k) => {
    const what = `step ${k + 1} ${JSON.stringify(step)}`;
    const a = lua.records[k];
    const b = ours.records[k];
    if (!a || !b) return;
    const na = normalise(step, a, lua);
    const nb = normalise(step, b, ours);
    if (step.expect) check(isDeepStrictEqual(na.ret, step.expect), `${what}: LuaSocket returned ${JSON.stringify(na.ret)}`);
    if (step.expectError) check(na.error === step.expectError, `${what}: LuaSocket raised ${JSON.stringify(na.error)}`);
    if (step.portable && socket.engine === 'portable') {
      // A documented difference of the portable engine: its own answer is asserted instead.
      const p = step.portable;
      const same = p.error !== undefined ? nb.error === p.error : isDeepStrictEqual(nb.ret, p.ret);
      check(same, `${what}: the portable engine's documented answer (${p.why}) differs: here ${JSON.stringify(nb)}`);
      return;
    }
    check(isDeepStrictEqual(nb, na), `${what}: here ${JSON.stringify(nb)}, LuaSocket ${JSON.stringify(na)}`);
    if (a.t !== undefined && b.t !== undefined) {
      check(closeInTime(a.t, b.t), `${what}: took ${b.t.toFixed(3)} s here, ${a.t.toFixed(3)} s on LuaSocket`);
      if (step.within) {
        const [lo, hi] = step.within;
        check(a.t >= lo && a.t < hi, `${what}: LuaSocket took ${a.t.toFixed(3)} s, outside [${lo}, ${hi})`);
        check(b.t >= lo && b.t < hi, `${what}: this package took ${b.t.toFixed(3)} s, outside [${lo}, ${hi})`);
      }
    }
  });
  if (problems.length > 0) t.fail(`${problems.length} step(s) disagree:\n${problems.join('\n')}`);
  else t.pass();
}

const status = luaStatus();
if (!status.ok) {
  test.skip(skipTitle(status), () => {});
} else {
  const only = new RegExp(process.env.DIFF_ONLY ?? '');
  const luaSideOnly = process.env.DIFF_SIDE === 'lua';
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && only.test(f))
    .sort();
  for (const file of files) {
    const seq = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Sequence;
    const title = `${file.replace(/\.json$/, '')}: ${seq.name}`;
    if (luaSideOnly) {
      test.serial(`${title} [LuaSocket side only]`, async (t) => checkLua(t, seq, await luaOnly(file)));
      continue;
    }
    if (seq.portableSkip && socket.engine === 'portable') {
      test.skip(`${title} [not on the portable engine: ${seq.portableSkip}]`, () => {});
      continue;
    }
    test.serial(title, async (t) => {
      const [lua, ours] = await bothRuns(file, seq);
      compare(t, seq, lua, ours);
    });
  }
}
