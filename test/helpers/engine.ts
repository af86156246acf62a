/**
 * Which engine the suite runs on (`npm test` runs it once per engine). Tests that meet one of
 * the portable engine's documented differences (/work/portable-differences.md, cited as
 * "portable item N") assert the portable behaviour explicitly there and keep the native
 * assertion unchanged on the native engine.
 */
import test from 'ava';
import * as socket from '../../src/index.js';

/** The portable engine runs: the I/O worker owns every socket through node:net. */
export const portable = socket.engine === 'portable';

/**
 * Tests of a mechanism only the native engine has (adopting another object's descriptor,
 * the kernel backlog, EMFILE in accept, worker migration, polling foreign descriptors):
 * registered as skipped on the portable engine, so the run lists them.
 */
export const nativeOnly = portable ? test.skip : test;
export const nativeOnlySerial = portable ? test.serial.skip : test.serial;

/** Tests of what the portable engine does instead: registered as skipped on the native engine. */
export const portableOnly = portable ? test : test.skip;
export const portableOnlySerial = portable ? test.serial : test.serial.skip;
