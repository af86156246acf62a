/**
 * Creation order of the portable engine's sockets, every kind together: select lists ready
 * objects by descriptor, and these sockets may have none yet, so they are numbered as the
 * kernel's lowest-free descriptors mostly number them: in order of creation.
 */
let created = 0;

export function nextOrder(): number {
  created += 1;
  return created;
}
