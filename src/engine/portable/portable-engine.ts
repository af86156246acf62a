import type { Engine } from '../types.js';

const todo = (): never => {
  throw new Error('portable engine: not implemented yet');
};

export const portableEngine: Engine = {
  name: 'portable',
  stream: todo,
  fromFd: todo,
  resolve: todo,
  dns: { gethost: todo, gethostname: todo, getaddrinfo: todo, getnameinfo: todo },
  pollFd: () => false,
};
