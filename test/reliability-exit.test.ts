/**
 * Reliability: the library never holds a process up (README, "Reliability" / Exit).
 * process.exit() from the main thread while worker_threads of the script are blocked in
 * receive() and in send() (both with no timeout) ends the process promptly, with the
 * requested code (test/fixtures/reliability-exit.ts, in a child process). A script that
 * ends with sockets open, and SIGINT during a blocking receive, are covered by
 * test/exit.test.ts.
 */
import test from 'ava';
import { startChild } from './fixtures/reliability-child.js';

/** "Promptly": the process is gone within this long after its last step. */
const PROMPT_MS = 5000;

test.serial('process.exit() from the main thread is not held up by worker_threads blocked in receive() and send()', async (t) => {
  const child = startChild('reliability-exit', ['threads'], { limitMs: 30000 });
  child.proc.stdin?.end();
  const exiting = await child.waitEvent('exiting');
  const at = performance.now();
  t.deepEqual(exiting, { ev: 'exiting', workers: 2, accepted: 2 });
  const run = await child.done;
  const ms = performance.now() - at;
  t.is(run.signal, null, run.stderr);
  t.is(run.code, 7, `process.exit(7) decides the exit code\n${run.stderr}`);
  t.true(ms < PROMPT_MS, `the process ended ${Math.round(ms)} ms after process.exit()`);
});
