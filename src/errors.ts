/**
 * LuaSocket's error vocabulary (spec section 3): the exact strings a caller gets back,
 * and the mapping from OS errno values and Node error codes to them.
 */
import { constants } from 'node:os';
import { ErrCode } from './protocol.js';

const E = constants.errno;

/** glibc strerror() texts for the errno values a TCP user can meet (spec 3.2). */
const GLIBC_TEXT: Record<number, string> = {
  [E.EPERM]: 'Operation not permitted',
  [E.EBADF]: 'Bad file descriptor',
  [E.EAGAIN]: 'Resource temporarily unavailable',
  [E.EINVAL]: 'Invalid argument',
  [E.EMFILE]: 'Too many open files',
  [E.ENFILE]: 'Too many open files in system',
  [E.ENOTSOCK]: 'Socket operation on non-socket',
  [E.EOPNOTSUPP]: 'Operation not supported',
  [E.EAFNOSUPPORT]: 'Address family not supported by protocol',
  [E.EADDRNOTAVAIL]: 'Cannot assign requested address',
  [E.ENETUNREACH]: 'Network is unreachable',
  [E.ENOBUFS]: 'No buffer space available',
  [E.ENOTCONN]: 'Transport endpoint is not connected',
  [E.EHOSTUNREACH]: 'No route to host',
  [E.EALREADY]: 'Operation already in progress',
  [E.EINPROGRESS]: 'Operation now in progress',
  [E.ENOMEM]: 'Cannot allocate memory',
  [E.ENOENT]: 'No such file or directory',
  // Datagrams and unix-domain paths.
  [E.EMSGSIZE]: 'Message too long',
  [E.EPROTOTYPE]: 'Protocol wrong type for socket',
  [E.ENAMETOOLONG]: 'File name too long',
  [E.ENOTDIR]: 'Not a directory',
  [E.EROFS]: 'Read-only file system',
  [E.ELOOP]: 'Too many levels of symbolic links',
  [E.EDESTADDRREQ]: 'Destination address required',
};

/** The text LuaSocket's socket_strerror gives for an errno. */
export function errnoText(errno: number): string {
  switch (errno) {
    case E.EADDRINUSE:
      return 'address already in use';
    case E.EISCONN:
      return 'already connected';
    case E.EACCES:
      return 'permission denied';
    case E.ECONNREFUSED:
      return 'connection refused';
    case E.ECONNABORTED:
    case E.ECONNRESET:
    case E.EPIPE:
      return 'closed';
    case E.ETIMEDOUT:
      return 'timeout';
    default:
      return GLIBC_TEXT[errno] ?? `Unknown error ${errno}`;
  }
}

/** Text for an ErrCode read from shared memory. */
export function errText(code: number): string {
  switch (code) {
    case ErrCode.CLOSED:
    case ErrCode.RESET:
      return 'closed';
    case ErrCode.TIMEOUT:
      return 'timeout';
    case ErrCode.REFUSED:
      return 'connection refused';
    case ErrCode.UNKNOWN:
      return 'unknown error';
    case ErrCode.OVERSIZED:
      return 'oversized';
    case ErrCode.UNSUPPORTED:
      return NOT_SUPPORTED;
    default:
      return code >= ErrCode.ERRNO_BASE ? errnoText(code - ErrCode.ERRNO_BASE) : 'unknown error';
  }
}

/** ErrCode for a Node error (socket 'error' events, failed listen, ...). */
export function errCodeOf(err: NodeJS.ErrnoException): number {
  switch (err.code) {
    case 'ECONNREFUSED':
      return ErrCode.REFUSED;
    case 'ECONNRESET':
      return ErrCode.RESET;
    case 'ECONNABORTED':
    case 'EPIPE':
    case 'ERR_STREAM_DESTROYED':
    case 'ERR_STREAM_WRITE_AFTER_END':
    case 'ERR_SOCKET_CLOSED':
      return ErrCode.CLOSED;
    case 'ETIMEDOUT':
      return ErrCode.TIMEOUT;
  }
  if (typeof err.errno === 'number' && err.errno < 0) return ErrCode.ERRNO_BASE - err.errno;
  const errno = err.code ? (E as Record<string, number | undefined>)[err.code] : undefined;
  return errno ? ErrCode.ERRNO_BASE + errno : ErrCode.UNKNOWN;
}

/** getaddrinfo failures (spec 3.1), keyed by the EAI_* name. */
export const GAI_TEXT: Record<string, string> = {
  EAI_AGAIN: 'temporary failure in name resolution',
  EAI_BADFLAGS: 'invalid value for ai_flags',
  EAI_FAIL: 'non-recoverable failure in name resolution',
  EAI_FAMILY: 'ai_family not supported',
  EAI_MEMORY: 'memory allocation failure',
  EAI_NONAME: 'host or service not provided, or not known',
  EAI_OVERFLOW: 'argument buffer overflow',
  EAI_SERVICE: 'service not supported for socket type',
  EAI_SOCKTYPE: 'ai_socktype not supported',
  EAI_ADDRFAMILY: 'Address family for hostname not supported',
  EAI_NODATA: 'No address associated with hostname',
};

/**
 * glibc's own gai_strerror texts, keyed by the EAI_* name: what LuaSocket's UDP sendto and
 * receivefrom print (they skip LuaSocket's table).
 */
export const GAI_GLIBC_TEXT: Record<string, string> = {
  EAI_AGAIN: 'Temporary failure in name resolution',
  EAI_BADFLAGS: 'Bad value for ai_flags',
  EAI_FAIL: 'Non-recoverable failure in name resolution',
  EAI_FAMILY: 'ai_family not supported',
  EAI_MEMORY: 'Memory allocation failure',
  EAI_NONAME: 'Name or service not known',
  EAI_SERVICE: 'Servname not supported for ai_socktype',
  EAI_SOCKTYPE: 'ai_socktype not supported',
  EAI_ADDRFAMILY: 'Address family for hostname not supported',
  EAI_NODATA: 'No address associated with hostname',
};

/** Text for a failed dns.lookup in Node (which reports EAI_NONAME as ENOTFOUND). */
export function lookupErrorText(err: NodeJS.ErrnoException): string {
  const code = err.code === 'ENOTFOUND' ? 'EAI_NONAME' : (err.code ?? '');
  return GAI_TEXT[code] ?? err.message;
}

/** What an option or call the platform (or engine) cannot apply for real answers. */
export const NOT_SUPPORTED = 'not supported on this platform';
