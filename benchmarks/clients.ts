/**
 * The clients compared side by side. Each one is a program that takes a job's arguments
 * (benchmarks/job.ts) and prints a report; the harness runs it as a child process.
 */
import { fileURLToPath } from 'node:url';
import { SOURCE_DIR } from './peer.js';

export type ClientId = 'lua' | 'luasocket' | 'node' | 'synckit';

export interface ClientSpec {
  id: ClientId;
  /** Column header. */
  label: string;
  command: string;
  args: string[];
}

const script = (name: string): string => fileURLToPath(new URL(`./clients/${name}.js`, import.meta.url));

export const CLIENTS: readonly ClientSpec[] = [
  { id: 'lua', label: 'LuaSocket 3.1.0', command: 'lua5.4', args: [`${SOURCE_DIR}lua/client.lua`] },
  { id: 'luasocket', label: 'luasocket (this)', command: process.execPath, args: [script('luasocket-client')] },
  { id: 'node', label: 'node:net async', command: process.execPath, args: [script('node-net-client')] },
  { id: 'synckit', label: 'synckit naive', command: process.execPath, args: [script('synckit-client')] },
];

export function client(id: ClientId): ClientSpec {
  return CLIENTS.find((c) => c.id === id) as ClientSpec;
}
