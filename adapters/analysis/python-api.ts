/**
 * What the analyzer knows about Python's own library and common packages,
 * by qualified name (`subprocess.run`): which rule a name's use falls under
 * (families/named-api.ts reports it), and which namespaces are known not to
 * reach the control system (so the configurable regex patterns, which exist
 * for names the analyzer does not know, are not applied to `dict.get`).
 * Control-system clients are in control/, one table per library.
 */
import type { RuleId } from './rules.ts';
import { stdlibModules } from './python-names.ts';
import { QualifiedNameAliases, rootOf } from './qualified-names.ts';

/** Re-exports and platform modules, mapped to the name the tables use. */
const qnameAliases = new QualifiedNameAliases([
  ['posix', 'os'],
  ['nt', 'os'],
  ['_io.open', 'builtins.open'],
  ['io.open', 'builtins.open'],
  ['codecs.open', 'builtins.open'],
  ['pathlib.PosixPath', 'pathlib.Path'],
  ['pathlib.WindowsPath', 'pathlib.Path'],
  ['pathlib.PurePath', 'pathlib.Path'],
  ['pathlib.PurePosixPath', 'pathlib.Path'],
]);

export function normalizeQname(qname: string): string {
  return qnameAliases.normalize(qname);
}

/** Qualified names whose use alone is a risk, by the rule they fall under. */
const riskyNames: ReadonlyArray<{ rule: RuleId; pattern: RegExp }> = [
  {
    rule: 'process.execution',
    pattern:
      /^(subprocess|pty|commands|asyncio\.subprocess)(\.|$)|^os\.(system|popen\w*|exec\w*|spawn\w*|fork\w*|posix_spawn\w*)$|^asyncio\.create_subprocess_\w+$|^platform\.popen$/,
  },
  {
    // fresh interpreters: a spawn or forkserver start method, or a pool of worker processes
    rule: 'process.interpreter',
    pattern: /^multiprocessing\.(get_context|context|spawn|forkserver|popen_spawn_posix|popen_forkserver)(\.|$)|^concurrent\.futures\.(ProcessPoolExecutor|process)(\.|$)/,
  },
  {
    rule: 'dynamic.code',
    pattern:
      /^builtins\.(eval|exec|compile|__import__|breakpoint)$|^(importlib|runpy|imp|zipimport)(\.|$)|^timeit\.(timeit|repeat|Timer|main)(\.|$)|^(cProfile|profile)\.(run|runctx|Profile\.(run|runctx))$|^code\.(InteractiveInterpreter|InteractiveConsole|interact|compile_command)(\.|$)|^pkgutil\.(resolve_name|get_loader|find_loader)$|^pydoc\.(locate|importfile|safeimport)$|^pdb\.(run|runeval|runctx)$/,
  },
  { rule: 'native.code', pattern: /^(ctypes|_ctypes|cffi)(\.|$)|^numpy\.ctypeslib(\.|$)/ },
  {
    rule: 'network.access',
    pattern:
      // ssl alone opens nothing (building an SSLContext is harmless): only what connects is listed
      /^(socket|_socket|socketserver|urllib(?!\.parse)|urllib2|urllib3|httplib|http\.client|http\.server|requests|httpx|aiohttp|ftplib|smtplib|poplib|imaplib|nntplib|telnetlib|xmlrpc|websocket|websockets|paramiko)(\.|$)|^asyncio\.(open_connection|start_server|open_unix_connection)$|^ssl\.(get_server_certificate|wrap_socket|SSLContext\.wrap_(socket|bio))$/,
  },
  { rule: 'file.delete', pattern: /^shutil\.rmtree$|^os\.(remove|unlink|rmdir|removedirs)$/ },
  {
    rule: 'deserialization.unsafe',
    pattern: /^(pickle|_pickle|cPickle|marshal|shelve|dill|cloudpickle)(\.|$)|^(pandas\.read_pickle|joblib\.load)$/,
  },
  { rule: 'environment.read', pattern: /^os\.(environ|environb|getenv|getenvb|putenv|unsetenv)(\.|$)/ },
  {
    rule: 'escape.introspection',
    pattern: /^builtins\.(globals|vars|locals)$|^sys\.(modules|_getframe|meta_path|path_hooks|path_importer_cache)(\.|$)/,
  },
];

/** The rule a qualified name's use falls under (`subprocess.run`: process.execution), if any. */
export function ruleOfName(qname: string): RuleId | null {
  for (const { rule, pattern } of riskyNames) if (pattern.test(qname)) return rule;
  return null;
}

/** Attributes that reach interpreter internals on any object. */
export const escapeAttributes: ReadonlySet<string> = new Set([
  '__subclasses__',
  '__globals__',
  '__builtins__',
  '__code__',
  '__mro__',
  '__bases__',
  '__base__',
  '__getattribute__',
  '__closure__',
  '__func__',
]);

/** Functions that open files, with the position of their mode argument. */
export const fileOpeners: ReadonlyMap<string, { modeIndex: number }> = new Map([
  ['builtins.open', { modeIndex: 1 }],
  ['os.open', { modeIndex: 1 }],
]);

/** pathlib methods that write or delete the file they stand for. */
export const pathWriteMethods: ReadonlySet<string> = new Set([
  'write_text',
  'write_bytes',
  'touch',
  'mkdir',
  'rename',
  'replace',
  'chmod',
  'symlink_to',
  'hardlink_to',
]);
export const pathDeleteMethods: ReadonlySet<string> = new Set(['unlink', 'rmdir']);

/**
 * Namespaces known not to reach the control system. Names resolved into
 * them are not matched against the configured patterns: `queue.Queue().put`
 * and `dict.get` are not channel access. `local` is code defined in the
 * analysed file itself (its body is analysed where it is written).
 */
const safeThirdParty = new Set(['numpy', 'pandas', 'matplotlib', 'scipy', 'local', 'pyexec']);

export function isKnownSafeNamespace(qname: string): boolean {
  const root = rootOf(qname);
  return safeThirdParty.has(root) || root === 'builtins' || stdlibModules.has(root);
}
