/**
 * The labelled corpus of issue 13: for each modelled control-system library,
 * snippets written from its documentation's own examples, with every access
 * they make (PV names and, for writes, the literal values); then the escapes
 * (code that runs code) and traps (harmless code in the same families). A
 * test checks that together they reach every call the tables model.
 */
export type Write = readonly [pv: string | null, value: unknown];

export interface LibraryCase {
  name: string;
  code: string;
  /** The library every access belongs to. */
  library: string;
  writes?: readonly Write[];
  reads?: ReadonlyArray<string | null>;
}

export interface EscapeCase {
  name: string;
  code: string;
  /** Rules that must be reported as blocking. */
  blocking: readonly string[];
}

const lines = (...source: string[]) => `${source.join('\n')}\nresults = {}\n`;

export const pyepicsCases: LibraryCase[] = [
  { name: 'caput', library: 'pyepics', code: lines('from epics import caput', 'caput("XXX:m1.VAL", 1.90, wait=True)'), writes: [['XXX:m1.VAL', 1.9]] },
  { name: 'caput by keywords', library: 'pyepics', code: lines('import epics', 'epics.caput(value=-2, pvname="XXX:m1.VAL")'), writes: [['XXX:m1.VAL', -2]] },
  { name: 'caput_many', library: 'pyepics', code: lines('import epics', 'epics.caput_many(["A:1", "A:2"], [1, 2.5])'), writes: [['A:1', 1], ['A:2', 2.5]] },
  { name: 'caget', library: 'pyepics', code: lines('from epics import caget', 'm1 = caget("XXX:m1.VAL")'), reads: ['XXX:m1.VAL'] },
  { name: 'caget_many', library: 'pyepics', code: lines('from epics import caget_many', 'v = caget_many(["A:1", "A:2"])'), reads: ['A:1', 'A:2'] },
  { name: 'cainfo', library: 'pyepics', code: lines('from epics import cainfo', 'cainfo("XXX:m1.VAL")'), reads: ['XXX:m1.VAL'] },
  { name: 'camonitor', library: 'pyepics', code: lines('from epics import camonitor', 'camonitor("XXX:m1.VAL", callback=print)'), reads: ['XXX:m1.VAL'] },
  { name: 'PV put with a literal list', library: 'pyepics', code: lines('import epics', 'pv = epics.PV("XXX:wave")', 'pv.put([1, 2, 3], wait=True)'), writes: [['XXX:wave', [1, 2, 3]]] },
  { name: 'PV get and get_with_metadata', library: 'pyepics', code: lines('from epics import PV', 'p = PV("XXX:m1.VAL")', 'a = p.get()', 'b = p.get_with_metadata()'), reads: ['XXX:m1.VAL', 'XXX:m1.VAL'] },
  { name: 'PV ctrlvars and timevars', library: 'pyepics', code: lines('from epics import PV', 'p = PV("X:Y")', 'p.get_ctrlvars()', 'p.get_timevars()'), reads: ['X:Y', 'X:Y'] },
  { name: 'PV add_callback', library: 'pyepics', code: lines('from epics import PV', 'def cb(pvname=None, value=None, **kw):', '    print(value)', 'PV("X:Y").add_callback(cb)'), reads: ['X:Y'] },
  { name: 'PV value and char_value', library: 'pyepics', code: lines('from epics import PV', 'p = PV("X:Y")', 'print(p.value, p.char_value)'), reads: ['X:Y', 'X:Y'] },
  { name: 'PV value assigned a name bound to a literal', library: 'pyepics', code: lines('from epics import PV', 'setpoint = 2.5', 'p = PV("X:SP")', 'p.value = setpoint'), writes: [['X:SP', 2.5]] },
  { name: 'get_pv', library: 'pyepics', code: lines('import epics', 'epics.get_pv("X:Y", connect=True).put(0)'), writes: [['X:Y', 0]] },
  { name: 'ca.create_channel then ca.put and ca.get', library: 'pyepics', code: lines('from epics import ca', 'chid = ca.create_channel("X:Y")', 'ca.put(chid, 3)', 'v = ca.get(chid)'), writes: [['X:Y', 3]], reads: ['X:Y'] },
  { name: 'ca.sg_put and ca.sg_get', library: 'pyepics', code: lines('import epics.ca as ca', 'gid = ca.sg_create()', 'chid = ca.create_channel("X:Y")', 'ca.sg_put(gid, chid, 1.5)', 'ca.sg_get(gid, chid)'), writes: [['X:Y', 1.5]], reads: ['X:Y'] },
  { name: 'ca get variants', library: 'pyepics', code: lines('from epics import ca', 'c = ca.create_channel("X:Y")', 'ca.get_with_metadata(c)', 'ca.get_complete(c)', 'ca.get_ctrlvars(c)', 'ca.get_timevars(c)'), reads: ['X:Y', 'X:Y', 'X:Y', 'X:Y'] },
  { name: 'ca.create_subscription', library: 'pyepics', code: lines('from epics import ca', 'c = ca.create_channel("X:Y")', 'ca.create_subscription(c, callback=print)'), reads: ['X:Y'] },
  { name: 'Motor move and set_position', library: 'pyepics', code: lines('from epics import Motor', 'm = Motor("XXX:m1")', 'm.move(2.0, wait=True)', 'm.set_position(0.0)'), writes: [['XXX:m1', 2], ['XXX:m1', 0]] },
  { name: 'Motor put of a field', library: 'pyepics', code: lines('import epics', 'm = epics.Motor("XXX:m1")', 'm.put("VELO", 0.5)'), writes: [['XXX:m1.VELO', 0.5]] },
  { name: 'Motor tweak and stop', library: 'pyepics', code: lines('import epics', 'm = epics.Motor("XXX:m1")', 'm.tweak(direction="forward")', 'm.stop()'), writes: [['XXX:m1', null], ['XXX:m1', null]] },
  { name: 'Motor get and get_position', library: 'pyepics', code: lines('import epics', 'm = epics.Motor("XXX:m1")', 'm.get("RBV")', 'm.get_position()'), reads: ['XXX:m1.RBV', 'XXX:m1'] },
  { name: 'Motor field assignment', library: 'pyepics', code: lines('import epics', 'm = epics.Motor("XXX:m1")', 'm.VAL = 1.5'), writes: [['XXX:m1.VAL', 1.5]] },
  { name: 'Device put and get', library: 'pyepics', code: lines('from epics import Device', 'd = Device("XXX:m1.", attrs=("VAL", "RBV"))', 'd.put("VAL", 0.2)', 'd.get("RBV")'), writes: [['XXX:m1.VAL', 0.2]], reads: ['XXX:m1.RBV'] },
  { name: 'Device save and restore state', library: 'pyepics', code: lines('from epics import Device', 'd = Device("XXX:m1.")', 'state = d.save_state()', 'd.restore_state()'), writes: [['XXX:m1.', null]], reads: ['XXX:m1.'] },
  { name: 'Device attribute assignment', library: 'pyepics', code: lines('from epics.device import Device', 'd = Device("XXX:m1.")', 'd.VAL = 0'), writes: [['XXX:m1.VAL', 0]] },
  { name: 'Device add_pv', library: 'pyepics', code: lines('from epics import Device', 'd = Device("XXX:")', 'd.add_pv("XXX:other").put(7)'), writes: [['XXX:other', 7]] },
  { name: 'caproto pyepics_compat', library: 'pyepics', code: lines('from caproto.threading.pyepics_compat import caput, PV', 'caput("X:Y", 1)', 'PV("X:Z").get()'), writes: [['X:Y', 1]], reads: ['X:Z'] },
];

export const p4pCases: LibraryCase[] = [
  { name: 'Context put and get', library: 'p4p', code: lines('from p4p.client.thread import Context', 'ctxt = Context("pva")', 'ctxt.put("pv:name", 5)', 'v = ctxt.get("pv:name")'), writes: [['pv:name', 5]], reads: ['pv:name'] },
  { name: 'Context put of several PVs', library: 'p4p', code: lines('from p4p.client.thread import Context', 'ctxt = Context("pva")', 'ctxt.put(["pv:1", "pv:2"], [1, 2])'), writes: [['pv:1', 1], ['pv:2', 2]] },
  { name: 'Context monitor', library: 'p4p', code: lines('from p4p.client.thread import Context', 'ctxt = Context("pva")', 'sub = ctxt.monitor("pv:name", print)'), reads: ['pv:name'] },
  { name: 'Context rpc', library: 'p4p', code: lines('from p4p.client.thread import Context', 'ctxt = Context("pva")', 'ctxt.rpc("pv:add", {"lhs": 1, "rhs": 2})'), writes: [['pv:add', null]] },
  { name: 'asyncio Context put', library: 'p4p', code: lines('from p4p.client.asyncio import Context', 'async def main():', '    with Context("pva") as ctxt:', '        await ctxt.put("pv:name", 1.5)'), writes: [['pv:name', 1.5]] },
  { name: 'SharedPV open and post', library: 'p4p', code: lines('from p4p.server.thread import SharedPV', 'from p4p.nt import NTScalar', 'pv = SharedPV(nt=NTScalar("d"), initial=0.0)', 'pv.open(1.0)', 'pv.post(2.0)'), writes: [[null, 1], [null, 2]] },
  { name: 'Server with providers', library: 'p4p', code: lines('from p4p.server import Server', 'from p4p.server.thread import SharedPV', 'pv = SharedPV(initial=0.0)', 'Server(providers=[{"demo:pv:name": pv}])'), writes: [['demo:pv:name', null]] },
  { name: 'Server.forever', library: 'p4p', code: lines('from p4p.server import Server', 'from p4p.server.thread import SharedPV', 'pv = SharedPV(initial=0.0)', 'Server.forever(providers=[{"demo:pv": pv}])'), writes: [['demo:pv', null]] },
  { name: 'StaticProvider add', library: 'p4p', code: lines('from p4p.server import StaticProvider', 'from p4p.server.thread import SharedPV', 'provider = StaticProvider("test")', 'provider.add("demo:pv", SharedPV(initial=1))'), writes: [['demo:pv', null]] },
];

export const caprotoCases: LibraryCase[] = [
  { name: 'sync read and write', library: 'caproto', code: lines('from caproto.sync.client import read, write', 'res = read("random_walk:x")', 'write("random_walk:dt", 0.5, notify=True)'), writes: [['random_walk:dt', 0.5]], reads: ['random_walk:x'] },
  { name: 'sync subscribe', library: 'caproto', code: lines('from caproto.sync.client import subscribe', 'sub = subscribe("random_walk:x")'), reads: ['random_walk:x'] },
  { name: 'threading client', library: 'caproto', code: lines('from caproto.threading.client import Context', 'ctx = Context()', 'x, = ctx.get_pvs("random_walk:x")', 'x.read()', 'x.write([3])'), writes: [['random_walk:x', [3]]], reads: ['random_walk:x'] },
  { name: 'threading client subscribe', library: 'caproto', code: lines('from caproto.threading.client import Context', 'ctx = Context()', 'pvs = ctx.get_pvs("a", "b")', 'sub = pvs[1].subscribe()'), reads: ['a', 'b'] },
  { name: 'asyncio client', library: 'caproto', code: lines('from caproto.asyncio.client import Context', 'async def main():', '    ctx = Context()', '    x, = await ctx.get_pvs("random_walk:x")', '    await x.write([5], wait=True)', '    r = await x.read()'), writes: [['random_walk:x', [5]]], reads: ['random_walk:x'] },
  { name: 'asyncio client subscribe in a loop', library: 'caproto', code: lines('from caproto.asyncio.client import Context', 'async def main():', '    ctx = Context()', '    for pv in await ctx.get_pvs("t:a"):', '        pv.subscribe()'), reads: ['t:a'] },
];

const pvapyTypedPuts: ReadonlyArray<readonly [string, string, unknown]> = [
  ['putBoolean', 'True', true],
  ['putByte', '1', 1],
  ['putUByte', '2', 2],
  ['putShort', '3', 3],
  ['putUShort', '4', 4],
  ['putInt', '-5', -5],
  ['putUInt', '6', 6],
  ['putLong', '7', 7],
  ['putULong', '8', 8],
  ['putFloat', '1.5', 1.5],
  ['putDouble', '2.5', 2.5],
  ['putString', '"on"', 'on'],
  ['putScalarArray', '[1, 2, 3]', [1, 2, 3]],
  ['putUnion', '"x"', 'x'],
];

export const pvapyCases: LibraryCase[] = [
  { name: 'Channel get and put', library: 'pvapy', code: lines('import pvaccess as pva', 'c = pva.Channel("calc:x")', 'v = c.get("field(value)")', 'c.put(5)'), writes: [['calc:x', 5]], reads: ['calc:x'] },
  ...pvapyTypedPuts.map(([method, literal, value]): LibraryCase => ({
    name: `Channel ${method}`,
    library: 'pvapy',
    code: lines('from pvaccess import Channel', 'c = Channel("calc:x")', `c.${method}(${literal})`),
    writes: [['calc:x', value]],
  })),
  { name: 'Channel putGet, parsePut and asyncPut', library: 'pvapy', code: lines('import pvaccess', 'c = pvaccess.Channel("calc:x", pvaccess.CA)', 'c.putGet(1)', 'c.parsePut("2")', 'c.asyncPut(3, print, print)'), writes: [['calc:x', 1], ['calc:x', '2'], ['calc:x', 3]] },
  { name: 'Channel monitors', library: 'pvapy', code: lines('import pvaccess', 'c = pvaccess.Channel("calc:x")', 'c.asyncGet(print, print)', 'c.monitor(print)', 'c.subscribe("s", print)', 'c.startMonitor()'), reads: ['calc:x', 'calc:x', 'calc:x', 'calc:x'] },
  { name: 'RpcClient invoke', library: 'pvapy', code: lines('import pvaccess', 'rpc = pvaccess.RpcClient("motor:rpc")', 'request = pvaccess.PvObject({"a": pvaccess.STRING})', 'rpc.invoke(request)'), writes: [['motor:rpc', null]] },
  { name: 'PvaServer', library: 'pvapy', code: lines('import pvaccess', 'pv = pvaccess.PvObject({"value": pvaccess.INT})', 'server = pvaccess.PvaServer("served:pv", pv)', 'server.addRecord("served:other", pv)', 'server.update("served:pv", pv)'), writes: [['served:pv', null], ['served:other', null], ['served:pv', null]] },
];

export const aiocaCases: LibraryCase[] = [
  { name: 'caput and caget', library: 'aioca', code: lines('from aioca import caget, caput', 'async def main():', '    await caput("TS:PV", 42, wait=True)', '    v = await caget("TS:PV")'), writes: [['TS:PV', 42]], reads: ['TS:PV'] },
  { name: 'caput of several PVs', library: 'aioca', code: lines('import aioca', 'async def main():', '    await aioca.caput(["A", "B"], [1, 2])'), writes: [['A', 1], ['B', 2]] },
  { name: 'camonitor, connect and cainfo', library: 'aioca', code: lines('from aioca import camonitor, connect, cainfo', 'async def main():', '    await connect("TS:PV")', '    await cainfo("TS:PV")', '    camonitor("TS:PV", print)'), reads: ['TS:PV', 'TS:PV', 'TS:PV'] },
];

const device = 'sys/tg_test/1';
const proxy = (...body: string[]) => lines('import tango', `dev = tango.DeviceProxy("${device}")`, ...body);

export const tangoCases: LibraryCase[] = [
  { name: 'read_attribute and write_attribute', library: 'tango', code: proxy('v = dev.read_attribute("double_scalar").value', 'dev.write_attribute("double_scalar", 3.0)'), writes: [[`${device}/double_scalar`, 3]], reads: [`${device}/double_scalar`] },
  { name: 'read_attributes', library: 'tango', code: proxy('dev.read_attributes(["long_scalar", "double_scalar"])'), reads: [`${device}/long_scalar`, `${device}/double_scalar`] },
  { name: 'asynchronous reads', library: 'tango', code: proxy('dev.read_attribute_asynch("ampli")', 'dev.read_attributes_asynch(["ampli"])'), reads: [`${device}/ampli`, `${device}/ampli`] },
  { name: 'subscribe_event', library: 'tango', code: proxy('dev.subscribe_event("double_scalar", tango.EventType.CHANGE_EVENT, print)'), reads: [`${device}/double_scalar`] },
  { name: 'state and status', library: 'tango', code: proxy('dev.state()', 'dev.status()', 'dev.State()', 'dev.Status()'), reads: [device, device, device, device] },
  { name: 'write_attributes', library: 'tango', code: proxy('dev.write_attributes([("double_scalar", 1.5), ("long_scalar", 2)])'), writes: [[`${device}/double_scalar`, 1.5], [`${device}/long_scalar`, 2]] },
  { name: 'asynchronous writes', library: 'tango', code: proxy('dev.write_attribute_asynch("ampli", 1)', 'dev.write_attributes_asynch([("ampli", 2)])'), writes: [[`${device}/ampli`, 1], [`${device}/ampli`, 2]] },
  { name: 'write_read_attribute(s)', library: 'tango', code: proxy('dev.write_read_attribute("ampli", 4)', 'dev.write_read_attributes([("ampli", 5)], ["ampli"])'), writes: [[`${device}/ampli`, 4], [`${device}/ampli`, 5]] },
  { name: 'command_inout', library: 'tango', code: proxy('dev.command_inout("DevDouble", 3.14)', 'dev.command_inout_asynch("DevVoid")'), writes: [[`${device}/DevDouble`, 3.14], [`${device}/DevVoid`, null]] },
  { name: 'a command called as a method', library: 'tango', code: proxy('dev.SwitchStates()', 'dev.DevDouble(2.0)'), writes: [[`${device}/SwitchStates`, null], [`${device}/DevDouble`, 2]] },
  { name: 'attribute read and assignment on a proxy', library: 'tango', code: proxy('print(dev.double_scalar)', 'dev.double_scalar = 2.5'), writes: [[`${device}/double_scalar`, 2.5]], reads: [`${device}/double_scalar`] },
  { name: 'properties', library: 'tango', code: proxy('dev.put_property({"p": ["1"]})', 'dev.delete_property("p")'), writes: [[device, null], [device, 'p']] },
  { name: 'PyTango and the asyncio proxy', library: 'tango', code: lines('import PyTango', 'from tango.asyncio import DeviceProxy', 'PyTango.DeviceProxy("a/b/c").write_attribute("x", 1)', 'async def main():', '    d = await DeviceProxy("a/b/d")', '    await d.write_attribute("y", 2)'), writes: [['a/b/c/x', 1], ['a/b/d/y', 2]] },
  { name: 'AttributeProxy', library: 'tango', code: lines('import tango', 'a = tango.AttributeProxy("sys/tg_test/1/ampli")', 'a.read()', 'a.history(5)', 'a.write(1.0)', 'a.write_read(2.0)'), writes: [['sys/tg_test/1/ampli', 1], ['sys/tg_test/1/ampli', 2]], reads: ['sys/tg_test/1/ampli', 'sys/tg_test/1/ampli'] },
];

export const ophydCases: LibraryCase[] = [
  { name: 'EpicsSignal put, set, get, read and subscribe', library: 'ophyd', code: lines('from ophyd import EpicsSignal', 'sig = EpicsSignal("XF:31IDA-OP{Tbl-Ax:X1}Mtr.VAL", name="sig")', 'sig.put(1.0)', 'sig.set(2.0).wait()', 'sig.get()', 'sig.read()', 'sig.subscribe(print)'), writes: [['XF:31IDA-OP{Tbl-Ax:X1}Mtr.VAL', 1], ['XF:31IDA-OP{Tbl-Ax:X1}Mtr.VAL', 2]], reads: ['XF:31IDA-OP{Tbl-Ax:X1}Mtr.VAL', 'XF:31IDA-OP{Tbl-Ax:X1}Mtr.VAL', 'XF:31IDA-OP{Tbl-Ax:X1}Mtr.VAL'] },
  { name: 'EpicsSignal value', library: 'ophyd', code: lines('from ophyd.signal import EpicsSignal', 's = EpicsSignal(read_pv="X:RBV", write_pv="X:SP", name="s")', 'print(s.value)', 's.value = 3'), writes: [['X:SP', 3]], reads: ['X:RBV'] },
  { name: 'EpicsSignal with a positional write_pv', library: 'ophyd', code: lines('from ophyd import EpicsSignal', 's = EpicsSignal("X:RBV", "X:SP", name="s")', 's.put(1)', 's.set(2)', 's.get()', 's.read()'), writes: [['X:SP', 1], ['X:SP', 2]], reads: ['X:RBV', 'X:RBV'] },
  { name: 'EpicsSignalWithRBV', library: 'ophyd', code: lines('from ophyd import EpicsSignalWithRBV', 's = EpicsSignalWithRBV("XF:CAM:AcquireTime", name="t")', 's.put(0.1)', 's.set(0.2)', 's.get()', 's.read()', 's.subscribe(print)', 'print(s.value)', 's.value = 0.3'), writes: [['XF:CAM:AcquireTime', 0.1], ['XF:CAM:AcquireTime', 0.2], ['XF:CAM:AcquireTime', 0.3]], reads: ['XF:CAM:AcquireTime_RBV', 'XF:CAM:AcquireTime_RBV', 'XF:CAM:AcquireTime_RBV', 'XF:CAM:AcquireTime_RBV'] },
  { name: 'EpicsSignalRO', library: 'ophyd', code: lines('from ophyd import EpicsSignalRO', 'r = EpicsSignalRO("XF:RBV", name="r")', 'r.get()', 'r.read()', 'r.subscribe(print)', 'print(r.value)'), reads: ['XF:RBV', 'XF:RBV', 'XF:RBV', 'XF:RBV'] },
  { name: 'EpicsMotor move, set and set_current_position', library: 'ophyd', code: lines('from ophyd import EpicsMotor', 'm = EpicsMotor("XF:31IDA-OP{Tbl-Ax:X1}Mtr", name="m")', 'm.move(1.0, wait=True)', 'm.set(2.0)', 'm.set_current_position(0)', 'm.home("forward")'), writes: [['XF:31IDA-OP{Tbl-Ax:X1}Mtr', 1], ['XF:31IDA-OP{Tbl-Ax:X1}Mtr', 2], ['XF:31IDA-OP{Tbl-Ax:X1}Mtr', 0], ['XF:31IDA-OP{Tbl-Ax:X1}Mtr', 'forward']] },
  { name: 'EpicsMotor trigger, stage, unstage, stop, read, get', library: 'ophyd', code: lines('from ophyd import EpicsMotor', 'm = EpicsMotor("M:", name="m")', 'm.stage()', 'm.trigger()', 'm.read()', 'm.get()', 'm.unstage()', 'm.stop()'), writes: [['M:', null], ['M:', null], ['M:', null], ['M:', null]], reads: ['M:', 'M:'] },
  { name: 'EpicsMotor component put', library: 'ophyd', code: lines('from ophyd.epics_motor import EpicsMotor', 'm = EpicsMotor("M:", name="m")', 'm.user_setpoint.put(5)'), writes: [[null, 5]] },
  { name: 'Device subclass with components', library: 'ophyd', code: lines('from ophyd import Device, Component as Cpt, EpicsSignal', 'class Stage(Device):', '    x = Cpt(EpicsSignal, "X")', 'st = Stage("XF:STG:", name="st")', 'st.x.set(1.5)', 'st.set(0)', 'st.read()'), writes: [[null, 1.5], ['XF:STG:', 0]], reads: ['XF:STG:'] },
  { name: 'Device trigger, stage, unstage, stop, get', library: 'ophyd', code: lines('from ophyd import Device', 'd = Device("D:", name="d")', 'd.stage()', 'd.trigger()', 'd.get()', 'd.unstage()', 'd.stop()'), writes: [['D:', null], ['D:', null], ['D:', null], ['D:', null]], reads: ['D:'] },
  { name: 'PVPositioner', library: 'ophyd', code: lines('from ophyd import PVPositioner', 'p = PVPositioner("P:", name="p")', 'p.move(3)', 'p.set(4)', 'p.stage()', 'p.trigger()', 'p.unstage()', 'p.stop()', 'p.read()', 'p.get()'), writes: [['P:', 3], ['P:', 4], ['P:', null], ['P:', null], ['P:', null], ['P:', null]], reads: ['P:', 'P:'] },
];

const motor = lines('import bluesky.plan_stubs as bps', 'from ophyd import EpicsMotor', 'm1 = EpicsMotor("XF:M1", name="m1")', 'm2 = EpicsMotor("XF:M2", name="m2")').replace('\nresults = {}\n', '');

export const blueskyCases: LibraryCase[] = [
  { name: 'bps.mv of two motors', library: 'bluesky', code: `${motor}\ndef plan():\n    yield from bps.mv(m1, 1, m2, -2.5)\nresults = {}\n`, writes: [['XF:M1', 1], ['XF:M2', -2.5]] },
  { name: 'bps.mvr', library: 'bluesky', code: `${motor}\ndef plan():\n    yield from bps.mvr(m1, 0.1)\nresults = {}\n`, writes: [['XF:M1', 0.1]] },
  { name: 'bps.abs_set and rel_set', library: 'bluesky', code: `${motor}\ndef plan():\n    yield from bps.abs_set(m1, 5, wait=True)\n    yield from bps.rel_set(m2, 1)\nresults = {}\n`, writes: [['XF:M1', 5], ['XF:M2', 1]] },
  { name: 'bps.trigger and stop', library: 'bluesky', code: `${motor}\ndef plan():\n    yield from bps.trigger(m1)\n    yield from bps.stop(m2)\nresults = {}\n`, writes: [['XF:M1', null], ['XF:M2', null]] },
  { name: 'bps.rd, read and trigger_and_read', library: 'bluesky', code: `${motor}\ndef plan():\n    x = yield from bps.rd(m1)\n    yield from bps.read(m2)\n    yield from bps.trigger_and_read([m1, m2])\nresults = {}\n`, reads: ['XF:M1', 'XF:M2', 'XF:M1', 'XF:M2'] },
  {
    name: 'bps.mv and bps.rd of a signal with its own setpoint PV',
    library: 'bluesky',
    code: lines('import bluesky.plan_stubs as bps', 'from ophyd import EpicsSignal', 's = EpicsSignal("X:RBV", write_pv="X:SP", name="s")', 'def plan():', '    yield from bps.mv(s, 1)', '    x = yield from bps.rd(s)'),
    writes: [['X:SP', 1]],
    reads: ['X:RBV'],
  },
  { name: 'bp.count', library: 'bluesky', code: lines('from bluesky.plans import count', 'from ophyd import EpicsSignalRO', 'det = EpicsSignalRO("XF:DET", name="det")', 'plan = count([det], num=5)').replace('results = {}', 'results = {}'), reads: ['XF:DET'] },
  { name: 'scans', library: 'bluesky', code: lines('import bluesky.plans as bp', 'from ophyd import EpicsMotor, EpicsSignalRO', 'det = EpicsSignalRO("D", name="det")', 'm = EpicsMotor("M", name="m")', 'bp.scan([det], m, -1, 1, 10)', 'bp.rel_scan([det], m, -1, 1, 10)', 'bp.grid_scan([det], m, -1, 1, 3)', 'bp.rel_grid_scan([det], m, -1, 1, 3)', 'bp.list_scan([det], m, [1, 2])', 'bp.rel_list_scan([det], m, [1, 2])'), writes: [[null, null], [null, null], [null, null], [null, null], [null, null], [null, null]] },
];

export const ospreyCases: LibraryCase[] = [
  { name: 'write_channel and read_channel imported', library: 'osprey', code: lines('from osprey.runtime import write_channel, read_channel', 'write_channel("BEAM:CURRENT", 500.0)', 'v = read_channel("BEAM:CURRENT")'), writes: [['BEAM:CURRENT', 500]], reads: ['BEAM:CURRENT'] },
  { name: 'write_channels, a bulk write', library: 'osprey', code: lines('from osprey.runtime import write_channels', 'write_channels({"MAGNET:H01": 5.0, "MAGNET:H02": 5.2, "MAGNET:H03": 4.8})'), writes: [['MAGNET:H01', 5], ['MAGNET:H02', 5.2], ['MAGNET:H03', 4.8]] },
  { name: 'helpers provided by the runtime without an import', library: 'osprey', code: lines('write_channel("A:B", 1)', 'write_channels({"A:C": 2})', 'x = read_channel("A:B")', 'y = read_channels(["A:B", "A:C"])'), writes: [['A:B', 1], ['A:C', 2]], reads: ['A:B', 'A:B', 'A:C'] },
  { name: 'write_channels passed as a value', library: 'osprey', code: lines('import osprey.runtime as rt', 'w = rt.write_channels', 'w({"A:B": 1})'), writes: [[null, null], ['A:B', 1]] },
];

export const libraryCases: Readonly<Record<string, LibraryCase[]>> = {
  pyepics: pyepicsCases,
  p4p: p4pCases,
  caproto: caprotoCases,
  pvapy: pvapyCases,
  aioca: aiocaCases,
  tango: tangoCases,
  ophyd: ophydCases,
  bluesky: blueskyCases,
  osprey: ospreyCases,
};

export const escapeCases: EscapeCase[] = [
  { name: 'timeit.timeit with a string', code: lines('import timeit', 'timeit.timeit("import os; os.system(\'ls\')", number=1)'), blocking: ['dynamic.code'] },
  { name: 'timeit.repeat', code: lines('from timeit import repeat', 'repeat("x = 1")'), blocking: ['dynamic.code'] },
  { name: 'timeit.Timer', code: lines('import timeit', 't = timeit.Timer("caput(1)", setup="from epics import caput")', 't.timeit(1)'), blocking: ['dynamic.code'] },
  { name: 'cProfile.run', code: lines('import cProfile', 'cProfile.run("print(1)")'), blocking: ['dynamic.code'] },
  { name: 'cProfile.runctx', code: lines('import cProfile', 'cProfile.runctx("f()", globals(), {})'), blocking: ['dynamic.code'] },
  { name: 'profile.run', code: lines('import profile', 'profile.run("print(1)")'), blocking: ['dynamic.code'] },
  { name: 'Profile().run', code: lines('import cProfile', 'p = cProfile.Profile()', 'p.run("print(1)")'), blocking: ['dynamic.code'] },
  { name: 'code.InteractiveInterpreter', code: lines('import code', 'code.InteractiveInterpreter().runsource("import os")'), blocking: ['dynamic.code'] },
  { name: 'code.InteractiveConsole', code: lines('from code import InteractiveConsole', 'InteractiveConsole().push("x = 1")'), blocking: ['dynamic.code'] },
  { name: 'runpy.run_path', code: lines('import runpy', 'runpy.run_path("other.py")'), blocking: ['dynamic.code'] },
  { name: 'runpy.run_module', code: lines('from runpy import run_module', 'run_module("json.tool")'), blocking: ['dynamic.code'] },
  { name: 'multiprocessing spawn start method', code: lines('import multiprocessing as mp', 'mp.set_start_method("spawn")'), blocking: ['process.interpreter'] },
  { name: 'multiprocessing forkserver start method', code: lines('import multiprocessing', 'multiprocessing.set_start_method("forkserver", force=True)'), blocking: ['process.interpreter'] },
  { name: 'multiprocessing get_context', code: lines('import multiprocessing', 'ctx = multiprocessing.get_context("spawn")', 'ctx.Process(target=print).start()'), blocking: ['process.interpreter'] },
  { name: 'ProcessPoolExecutor', code: lines('from concurrent.futures import ProcessPoolExecutor', 'with ProcessPoolExecutor() as ex:', '    ex.submit(print, 1)'), blocking: ['process.interpreter'] },
  { name: 'numpy.ctypeslib', code: lines('import numpy as np', 'lib = np.ctypeslib.load_library("libc", "/lib")'), blocking: ['native.code'] },
  { name: 'epics.ca.libca', code: lines('from epics import ca', 'ca.libca.ca_array_put(14, 1, 0, None)'), blocking: ['native.code'] },
  { name: 'libca imported', code: lines('from epics.ca import libca', 'libca.ca_pend_io(1.0)'), blocking: ['native.code'] },
  { name: 'sys.meta_path mutation', code: lines('import sys', 'sys.meta_path.insert(0, object())'), blocking: ['escape.introspection'] },
  { name: 'sys.modules mutation', code: lines('import sys, types', 'sys.modules["epics"] = types.ModuleType("epics")'), blocking: ['escape.introspection'] },
  { name: 'sys.path_hooks mutation', code: lines('import sys', 'sys.path_hooks.append(print)'), blocking: ['escape.introspection'] },
  { name: 'operator.methodcaller naming put', code: lines('import operator', 'from epics import PV', 'operator.methodcaller("put", 5)(PV("A:B"))'), blocking: ['resolution.indirect_call'] },
  { name: 'operator.attrgetter naming caput', code: lines('import operator, epics', 'operator.attrgetter("caput")(epics)("A:B", 1)'), blocking: ['resolution.indirect_call'] },
  { name: 'operator.methodcaller with a computed name', code: lines('import operator', 'name = input()', 'operator.methodcaller(name)'), blocking: ['resolution.dynamic_attribute'] },
  { name: 'pkgutil.resolve_name', code: lines('import pkgutil', 'pkgutil.resolve_name("epics:caput")("A:B", 1)'), blocking: ['dynamic.code'] },
  { name: 'pydoc.locate', code: lines('import pydoc', 'pydoc.locate("epics.caput")("A:B", 1)'), blocking: ['dynamic.code'] },
  { name: 'importlib.util', code: lines('import importlib.util', 'spec = importlib.util.spec_from_file_location("m", "m.py")', 'm = importlib.util.module_from_spec(spec)'), blocking: ['dynamic.code'] },
  { name: 'functools.reduce over getattr', code: lines('import functools, epics', 'f = functools.reduce(getattr, ["ca", "put"], epics)'), blocking: ['resolution.indirect_call'] },
  { name: 'a .py file written then imported', code: lines('with open("helper.py", "w") as f:', '    f.write("import os\\nos.system(\'ls\')\\n")', 'import helper'), blocking: ['dynamic.code'] },
  { name: 'a .py file written with pathlib then imported from', code: lines('from pathlib import Path', 'Path("pkg_mod.py").write_text("X = 1")', 'from pkg_mod import X'), blocking: ['dynamic.code'] },
  { name: 'a class __dict__ lookup', code: lines('import epics', 'epics.PV.__dict__["put"](epics.PV("A:B"), 1)'), blocking: ['escape.introspection'] },
  { name: 'a __dict__ lookup through type()', code: lines('from epics import PV', 'p = PV("A:B")', 'type(p).__dict__["put"](p, 1)'), blocking: ['escape.introspection'] },
  { name: 'a __dict__ lookup through __class__', code: lines('from epics import PV', 'p = PV("A:B")', 'p.__class__.__dict__["put"](p, 1)'), blocking: ['escape.introspection'] },
  { name: 'timeit passed as a value', code: lines('import timeit', 'run = timeit.timeit', 'run("print(1)")'), blocking: ['dynamic.code'] },
];

/** Methods passed as values count where they are bound (issue 13): writes, with the PV when the object's name is known. */
export const boundValueCases: LibraryCase[] = [
  { name: 'map over epics.PV.put', library: 'pyepics', code: lines('import epics', 'pvs = [epics.PV("A"), epics.PV("B")]', 'list(map(epics.PV.put, pvs, [1, 2]))'), writes: [[null, null]] },
  { name: 'w = ca.put, never called here', library: 'pyepics', code: lines('from epics import ca', 'w = ca.put'), writes: [[null, null]] },
  { name: 'a bound put stored in a dict', library: 'pyepics', code: lines('from epics import PV', 'actions = {"go": PV("A:B").put}'), writes: [['A:B', null]] },
  { name: 'the put of a signal with its own setpoint PV', library: 'ophyd', code: lines('from ophyd import EpicsSignal', 's = EpicsSignal("X:RBV", write_pv="X:SP", name="s")', 'w = s.put'), writes: [['X:SP', null]] },
];

/** Harmless code in the same families: no write, nothing blocking. */
export const harmlessCases: ReadonlyArray<{ name: string; code: string }> = [
  { name: 'building an ssl.SSLContext', code: lines('import ssl', 'ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)', 'ctx.load_default_certs()', 'default = ssl.create_default_context()') },
  { name: 'an ssl constant', code: lines('import ssl', 'print(ssl.OPENSSL_VERSION)') },
  { name: 'urllib.parse', code: lines('from urllib.parse import quote, urlparse', 'print(quote("a b"), urlparse("http://x/y").path)') },
  { name: 'timeit.default_timer', code: lines('import timeit', 'start = timeit.default_timer()', 'elapsed = timeit.default_timer() - start') },
  { name: 'multiprocessing.cpu_count', code: lines('import multiprocessing', 'n = multiprocessing.cpu_count()') },
  { name: 'fork start method', code: lines('import multiprocessing', 'multiprocessing.set_start_method("fork")') },
  { name: 'ThreadPoolExecutor', code: lines('from concurrent.futures import ThreadPoolExecutor', 'with ThreadPoolExecutor() as ex:', '    ex.map(print, [1, 2])') },
  { name: 'operator.attrgetter of a harmless name', code: lines('import operator', 'rows = sorted([], key=operator.attrgetter("name"))') },
  { name: 'operator.methodcaller of a harmless name', code: lines('import operator', 'f = operator.methodcaller("strip")', 'f(" a ")') },
  { name: 'functools.reduce over addition', code: lines('import functools, operator', 'total = functools.reduce(operator.add, [1, 2, 3])') },
  { name: 'reading a constant of pyepics', code: lines('import epics', 'kind = epics.dbr.DOUBLE') },
  { name: 'reading a constant of Tango', code: lines('import tango', 'ON = tango.DevState.ON', 'kind = tango.EventType.CHANGE_EVENT') },
  { name: 'Tango proxy plain methods', code: lines('import tango', 'd = tango.DeviceProxy("a/b/c")', 'd.ping()', 'd.get_attribute_list()', 'd.set_timeout_millis(3000)', 'print(d.name())') },
  { name: 'ophyd soft Signal', code: lines('from ophyd import Signal', 's = Signal(name="s", value=0)', 's.put(1)') },
  { name: 'ophyd.sim devices', code: lines('from ophyd.sim import motor, det', 'motor.set(1)') },
  { name: 'a text file written and a module imported', code: lines('import json', 'with open("out.json", "w") as f:', '    json.dump({}, f)') },
  { name: 'an instance __dict__', code: lines('class Point:', '    def __init__(self):', '        self.x = 1', 'p = Point()', 'print(p.__dict__)') },
  { name: 'code as a variable name', code: lines('code = "abc"', 'print(code.upper())') },
  { name: 'p4p Value construction', code: lines('from p4p import Value, Type', 'v = Value(Type([("a", "i")]), {"a": 1})') },
];
