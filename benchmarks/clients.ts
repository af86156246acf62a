/**
 * The clients compared side by side. Each one is a program that takes a job's arguments
 * (benchmarks/job.ts) and prints a report; the harness runs it as a child process.
 * This package runs twice, once per engine, chosen by LUASOCKET_ENGINE in the child's
 * environment (the package reads it at import).
 */
import { fileURLToPath } from 'node:url';
import { SOURCE_DIR } from './peer.js';

export type ClientId = 'lua' | 'native' | 'portable' | 'node';
export type Engine = 'native' | 'portable';

export interface ClientSpec {
  id: ClientId;
  /** Column header. */
  label: string;
  command: string;
  args: string[];
  /** Set in the child's environment. */
  env: Record<string, string>;
  /** This package (one of its engines). */
  engine: Engine | null;
}

const script = (name: string): string => fileURLToPath(new URL(`./clients/${name}.js`, import.meta.url));

const thisPackage = (engine: Engine): ClientSpec => ({
  id: engine,
  label: `luasocket ${engine}`,
  command: process.execPath,
  args: [script('luasocket-client')],
  env: { LUASOCKET_ENGINE: engine },
  engine,
});

/** In column order; LuaSocket is every ratio's base. */
export const CLIENTS: readonly ClientSpec[] = [
  { id: 'lua', label: 'LuaSocket 3.1.0', command: 'lua5.4', args: [`${SOURCE_DIR}lua/client.lua`], env: {}, engine: null },
  thisPackage('native'),
  thisPackage('portable'),
  { id: 'node', label: 'node:net async', command: process.execPath, args: [script('node-net-client')], env: {}, engine: null },
];

export const CLIENT_IDS = CLIENTS.map((c) => c.id);

export function client(id: ClientId): ClientSpec {
  return CLIENTS.find((c) => c.id === id) as ClientSpec;
}
