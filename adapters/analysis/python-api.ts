/**
 * What the analyzer knows about Python libraries, by qualified name
 * (`subprocess.run`, `epics.PV.put`): which rule family a name belongs to,
 * which names read or write the control system, and which namespaces are
 * known not to reach it (so the configurable regex patterns, which exist for
 * names the analyzer does not know, are not applied to `dict.get`).
 */
import type { RuleId } from './rules.ts';
import { stdlibModules } from './python-names.ts';

/** Re-exports and platform modules, mapped to the name the tables use. */
const qnameAliases: ReadonlyArray<readonly [string, string]> = [
  ['posix', 'os'],
  ['nt', 'os'],
  ['_io.open', 'builtins.open'],
  ['io.open', 'builtins.open'],
  ['codecs.open', 'builtins.open'],
  ['epics.pv.PV', 'epics.PV'],
  ['epics.pv.get_pv', 'epics.get_pv'],
  ['epics.motor.Motor', 'epics.Motor'],
  ['epics.device.Device', 'epics.Device'],
  ['pathlib.PosixPath', 'pathlib.Path'],
  ['pathlib.WindowsPath', 'pathlib.Path'],
  ['pathlib.PurePath', 'pathlib.Path'],
  ['pathlib.PurePosixPath', 'pathlib.Path'],
  ['p4p.client.asyncio.Context', 'p4p.client.thread.Context'],
  ['p4p.client.cothread.Context', 'p4p.client.thread.Context'],
];

/** The aliases by the first part of their name: most names (`numpy.asarray`) are then left alone after one look-up. */
const aliasesByRoot = new Map<string, Array<readonly [string, string]>>();
for (const alias of qnameAliases) {
  const root = rootOf(alias[0]);
  aliasesByRoot.set(root, [...(aliasesByRoot.get(root) ?? []), alias]);
}

function rootOf(qname: string): string {
  const dot = qname.indexOf('.');
  return dot === -1 ? qname : qname.slice(0, dot);
}

export function normalizeQname(qname: string): string {
  for (const [from, to] of aliasesByRoot.get(rootOf(qname)) ?? []) {
    if (qname === from || qname.startsWith(`${from}.`)) return to + qname.slice(from.length);
  }
  return qname;
}

const families: ReadonlyArray<{ rule: RuleId; pattern: RegExp }> = [
  {
    rule: 'process.execution',
    pattern:
      /^(subprocess|pty|commands|asyncio\.subprocess)(\.|$)|^os\.(system|popen\w*|exec\w*|spawn\w*|fork\w*|posix_spawn\w*)$|^asyncio\.create_subprocess_\w+$|^platform\.popen$/,
  },
  { rule: 'dynamic.code', pattern: /^builtins\.(eval|exec|compile|__import__|breakpoint)$|^(importlib|runpy)(\.|$)/ },
  { rule: 'native.code', pattern: /^(ctypes|_ctypes|cffi)(\.|$)/ },
  {
    rule: 'network.access',
    pattern:
      /^(socket|_socket|ssl|socketserver|urllib|urllib2|urllib3|httplib|http\.client|http\.server|requests|httpx|aiohttp|ftplib|smtplib|poplib|imaplib|nntplib|telnetlib|xmlrpc|websocket|websockets|paramiko)(\.|$)|^asyncio\.(open_connection|start_server|open_unix_connection)$/,
  },
  { rule: 'file.delete', pattern: /^shutil\.rmtree$|^os\.(remove|unlink|rmdir|removedirs)$/ },
  {
    rule: 'deserialization.unsafe',
    pattern: /^(pickle|_pickle|cPickle|marshal|shelve|dill|cloudpickle)(\.|$)|^(pandas\.read_pickle|joblib\.load)$/,
  },
  { rule: 'environment.read', pattern: /^os\.(environ|environb|getenv|getenvb|putenv|unsetenv)(\.|$)/ },
  { rule: 'escape.introspection', pattern: /^builtins\.(globals|vars|locals)$|^sys\.(modules|_getframe)(\.|$)/ },
];

/** The rule family of a qualified name, if it belongs to one. */
export function familyOf(qname: string): RuleId | null {
  for (const family of families) if (family.pattern.test(qname)) return family.rule;
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

export type Access = 'read' | 'write';

/** Module-level functions of control-system clients; `pvArg` is where the PV name is. */
export interface ControlFunction {
  access: Access;
  pvArg: { index: number; keyword: string; many: boolean } | null;
}

const pvName = (keyword = 'pvname') => ({ index: 0, keyword, many: false });
const pvList = { index: 0, keyword: 'pvlist', many: true };

export const controlFunctions: ReadonlyMap<string, ControlFunction> = new Map([
  ['epics.caput', { access: 'write', pvArg: pvName() }],
  ['epics.caput_many', { access: 'write', pvArg: pvList }],
  ['epics.ca.put', { access: 'write', pvArg: null }],
  ['epics.caget', { access: 'read', pvArg: pvName() }],
  ['epics.caget_many', { access: 'read', pvArg: pvList }],
  ['epics.cainfo', { access: 'read', pvArg: pvName() }],
  ['epics.camonitor', { access: 'read', pvArg: pvName() }],
  ['epics.ca.get', { access: 'read', pvArg: null }],
  ['caproto.sync.client.write', { access: 'write', pvArg: pvName('pv_name') }],
  ['caproto.sync.client.read', { access: 'read', pvArg: pvName('pv_name') }],
]);

/**
 * Classes (and factories) whose instances stand for process variables. For
 * `pvFromInstance` classes the PV name is the constructor's first argument;
 * otherwise (a client context) it is the method's first argument.
 */
interface ControlClass {
  pvFromInstance: boolean;
  writes: ReadonlySet<string>;
  reads: ReadonlySet<string>;
  /** Attributes whose value is read from the control system when loaded. */
  readAttributes: ReadonlySet<string>;
}

const pvLike = (writes: string[], reads: string[]): ControlClass => ({
  pvFromInstance: true,
  writes: new Set(writes),
  reads: new Set(reads),
  readAttributes: new Set(['value', 'char_value']),
});

export const controlClasses: ReadonlyMap<string, ControlClass> = new Map([
  ['epics.PV', pvLike(['put'], ['get', 'get_with_metadata', 'get_ctrlvars', 'get_timevars'])],
  ['epics.Motor', pvLike(['put', 'move', 'tweak', 'set_position', 'stop'], ['get', 'get_position'])],
  ['epics.Device', pvLike(['put', 'restore_state'], ['get', 'save_state'])],
  [
    'p4p.client.thread.Context',
    { pvFromInstance: false, writes: new Set(['put']), reads: new Set(['get', 'monitor']), readAttributes: new Set() },
  ],
]);

/** Factories that return an instance of a control class. */
export const controlFactories: ReadonlyMap<string, string> = new Map([
  ['epics.get_pv', 'epics.PV'],
  ['epics.PV', 'epics.PV'],
  ['epics.Motor', 'epics.Motor'],
  ['epics.Device', 'epics.Device'],
  ['p4p.client.thread.Context', 'p4p.client.thread.Context'],
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
