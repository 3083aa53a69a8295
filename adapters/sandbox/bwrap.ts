/**
 * The bubblewrap command line of a sandbox. Everything not listed here is
 * absent inside: no config file, no state dir, no executions root, no
 * checkout, no service HOME. The root is read-only system files only; /tmp
 * is a private tmpfs; the environment is cleared and set from an allow-list
 * (bwrap itself is started with the same small environment, so the
 * sandbox's first process does not carry the service's either).
 */
import { existsSync, lstatSync, readlinkSync } from 'node:fs';

export const sandboxUid = 65534;
export const sandboxGid = 65534;

export interface Bind {
  outside: string;
  inside: string;
  writable: boolean;
}

export interface BwrapLayout {
  binds: readonly Bind[];
  environment: Readonly<Record<string, string>>;
  /** Working folder inside. */
  chdir: string;
}

/** Top-level system folders: symlinks on merged-/usr systems, folders elsewhere. */
const systemTop = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** The /etc files Python, numpy (BLAS alternatives), matplotlib and libca read; nothing else of /etc. */
export const etcFiles = [
  '/etc/alternatives',
  '/etc/ca-certificates',
  '/etc/ssl',
  '/etc/fonts',
  '/etc/gai.conf',
  '/etc/group',
  '/etc/host.conf',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/localtime',
  '/etc/timezone',
  '/etc/matplotlibrc',
  '/etc/mime.types',
  '/etc/nsswitch.conf',
  '/etc/os-release',
  '/etc/passwd',
  '/etc/protocols',
  '/etc/python3',
  '/etc/python3.11',
  '/etc/services',
];

/** What a confined execution may read (Landlock): the system files above and /proc (ptrace rules guard other processes' files). */
export const readablePaths = ['/usr', ...systemTop, ...etcFiles, '/etc/hosts', '/proc', '/pyexec/lib'];

/** Device nodes a confined execution may read and write (not /dev/shm: it is shared by the sandbox). */
export const devicePaths = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom'];

export function bwrapArgs(layout: BwrapLayout): string[] {
  const args = ['--unshare-all', '--die-with-parent', '--new-session', '--hostname', 'sandbox', '--ro-bind', '/usr', '/usr'];
  for (const top of systemTop) {
    if (!existsSync(top)) continue;
    if (lstatSync(top).isSymbolicLink()) args.push('--symlink', readlinkSync(top), top);
    else args.push('--ro-bind', top, top);
  }
  for (const file of etcFiles) args.push('--ro-bind-try', file, file);
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  for (const bind of layout.binds) args.push(bind.writable ? '--bind' : '--ro-bind', bind.outside, bind.inside);
  args.push('--clearenv');
  for (const [name, value] of Object.entries(layout.environment)) args.push('--setenv', name, value);
  args.push('--chdir', layout.chdir);
  return args;
}
