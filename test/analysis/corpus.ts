/**
 * The labelled corpus of issue 3: Python snippets with what the analyzer must
 * find. `writes` lists the PV names of every control-system write (null for a
 * name only known at run time); `blocking` lists rule ids that must be
 * reported as blocking; traps must produce no write and no blocking finding.
 */
export interface CorpusCase {
  name: string;
  code: string;
  /** Every write, as its PV name (null: computed at run time), in any order. */
  writes?: Array<string | null>;
  reads?: Array<string | null>;
  /** Rule ids that must appear with severity blocking. */
  blocking?: string[];
  /** A false-positive trap: no writes, no blocking findings. */
  trap?: true;
}

const lines = (...source: string[]) => `${source.join('\n')}\n`;

export const writeEvasions: CorpusCase[] = [
  { name: 'direct caput', code: lines('from epics import caput', 'caput("SR:C1:HCM:SP", 1.0)'), writes: ['SR:C1:HCM:SP'] },
  { name: 'caput aliased on import', code: lines('from epics import caput as w', 'w("A:B", 1)'), writes: ['A:B'] },
  { name: 'module aliased', code: lines('import epics as e', 'e.caput("A:B", 1)'), writes: ['A:B'] },
  { name: 'module imported plainly', code: lines('import epics', 'epics.caput("A:B", 2)'), writes: ['A:B'] },
  { name: 'star import caput', code: lines('from epics import *', 'caput("A:B", 1)'), writes: ['A:B'] },
  { name: 'star import PV', code: lines('from epics import *', 'PV("A:B").put(1)'), writes: ['A:B'] },
  { name: 'attribute chain', code: lines('import epics', 'epics.PV("A:B").put(1)'), writes: ['A:B'] },
  { name: 'PV object put', code: lines('from epics import PV', 'p = PV("A:B")', 'p.put(1)'), writes: ['A:B'] },
  { name: 'PV value assignment', code: lines('from epics import PV', 'p = PV("A:B")', 'p.value = 3'), writes: ['A:B'] },
  { name: 'getattr with a literal on the module', code: lines('import epics', 'getattr(epics, "caput")("A:B", 1)'), writes: ['A:B'] },
  { name: 'getattr with a literal on a PV', code: lines('import epics', 'p = epics.PV("A:B")', 'getattr(p, "put")(1)'), writes: ['A:B'] },
  // a function or method bound to a name counts where it is bound, and again where it is called
  { name: 'function alias', code: lines('import epics', 'f = epics.caput', 'f("A:B", 1)'), writes: ['A:B', null] },
  { name: 'bound method alias', code: lines('import epics', 'put = epics.PV("A:B").put', 'put(1)'), writes: ['A:B', 'A:B'] },
  { name: 'caput passed to map', code: lines('import epics', 'list(map(epics.caput, ["A", "B"], [1, 2]))'), writes: [null] },
  { name: 'functools.partial', code: lines('import functools', 'from epics import caput', 'functools.partial(caput, "A:B")(1)'), writes: [null] },
  { name: 'submodule PV class', code: lines('import epics.pv as m', 'm.PV("A:B").put(1)'), writes: ['A:B'] },
  { name: 'from submodule', code: lines('from epics.pv import PV', 'PV("A:B").put(1)'), writes: ['A:B'] },
  { name: 'ca.put', code: lines('from epics import ca', 'chid = ca.create_channel("A:B")', 'ca.put(chid, 1)'), writes: ['A:B'] },
  { name: 'caput_many', code: lines('from epics import caput_many', 'caput_many(["A:1", "A:2"], [1, 2])'), writes: ['A:1', 'A:2'] },
  { name: 'keyword PV name', code: lines('import epics', 'epics.caput(pvname="A:B", value=1)'), writes: ['A:B'] },
  { name: 'PV name in a variable', code: lines('from epics import caput', 'name = "A:B"', 'caput(name, 1)'), writes: ['A:B'] },
  { name: 'PV names from a loop', code: lines('from epics import caput', 'for n in ["A:1", "A:2"]:', '    caput(n, 0)'), writes: ['A:1', 'A:2'] },
  { name: 'PV name from an f-string', code: lines('from epics import caput', 'for i in range(3):', '    caput(f"SR:{i}:X", 1)'), writes: [null] },
  {
    name: 'function defined before the import',
    code: lines('def go():', '    w("A:B", 1)', '', 'from epics import caput as w', 'go()'),
    writes: ['A:B'],
  },
  { name: 'subclass of PV', code: lines('import epics', 'class Mine(epics.PV):', '    pass', 'Mine("A:B").put(1)'), writes: ['A:B'] },
  { name: '__import__ of epics', code: lines('__import__("epics").caput("A:B", 1)'), writes: ['A:B'], blocking: ['dynamic.code'] },
  {
    name: 'importlib of epics',
    code: lines('import importlib', 'importlib.import_module("epics").caput("A:B", 1)'),
    writes: ['A:B'],
    blocking: ['dynamic.code'],
  },
  { name: 'setattr value on a PV', code: lines('from epics import PV', 'p = PV("A:B")', 'setattr(p, "value", 3)'), writes: ['A:B'] },
  { name: 'motor move', code: lines('import epics', 'm = epics.Motor("M1")', 'm.move(2.0)'), writes: ['M1'] },
  { name: 'unbound PV.put', code: lines('import epics', 'p = epics.PV("A:B")', 'epics.PV.put(p, 1)'), writes: [null] },
  { name: 'lambda', code: lines('from epics import caput', 'f = lambda v: caput("A:B", v)', 'f(1)'), writes: ['A:B'] },
  { name: 'walrus', code: lines('from epics import PV', '(p := PV("A:B")).put(1)'), writes: ['A:B'] },
  { name: 'conditional alias', code: lines('import epics', 'x = 1', 'f = epics.caput if x else print', 'f("A:B", 1)'), writes: ['A:B', null] },
  { name: 'tuple unpacking', code: lines('from epics import PV', 'a, b = PV("A"), PV("B")', 'b.put(1)'), writes: ['B'] },
  { name: 'PV list iterated', code: lines('from epics import PV', 'pvs = [PV("A"), PV("B")]', 'for p in pvs:', '    p.put(0)'), writes: ['A', 'B'] },
  { name: 'facility connector by pattern', code: lines('write_channel("A:B", 1)'), writes: ['A:B'] },
  { name: 'facility connector imported', code: lines('from facility.io import write_channel', 'write_channel("A:B", 1)'), writes: ['A:B'] },
  { name: 'unresolved object put', code: lines('def apply(dev):', '    dev.put(1)'), writes: [null] },
  {
    name: 'p4p context',
    code: lines('from p4p.client.thread import Context', 'ctx = Context("pva")', 'ctx.put("A:B", 1)'),
    writes: ['A:B'],
  },
  { name: 'caproto sync write', code: lines('from caproto.sync.client import write', 'write("A:B", 1)'), writes: ['A:B'] },
  { name: 'comprehension', code: lines('from epics import caput', '[caput(n, 0) for n in ("A", "B")]'), writes: ['A', 'B'] },
  { name: 'async function', code: lines('from epics import caput', 'async def f():', '    caput("A:B", 1)'), writes: ['A:B'] },
  { name: 'thread target', code: lines('import threading, epics', 'threading.Thread(target=epics.caput, args=("A:B", 1)).start()'), writes: [null] },
  { name: 'get_pv', code: lines('import epics', 'epics.get_pv("A:B").put(1)'), writes: ['A:B'] },
  { name: 'keyword pvname on PV', code: lines('import epics', 'p = epics.PV(pvname="A:B")', 'p.value = 1'), writes: ['A:B'] },
  { name: 'global PV in a function', code: lines('import epics', 'pv = None', 'def setup():', '    global pv', '    pv = epics.PV("A:B")', 'def go():', '    pv.put(1)'), writes: ['A:B'] },
  { name: 'caput in a dict of functions', code: lines('from epics import caput', 'ops = {"w": caput}', 'ops["w"]("A:B", 1)'), writes: [null, 'A:B'] },
];

export const blockingPatterns: CorpusCase[] = [
  { name: 'subprocess.run', code: lines('import subprocess', 'subprocess.run(["ls"])'), blocking: ['process.execution'] },
  { name: 'Popen aliased', code: lines('from subprocess import Popen as P', 'P("ls")'), blocking: ['process.execution'] },
  { name: 'os.system', code: lines('import os', 'os.system("ls")'), blocking: ['process.execution'] },
  { name: 'os.popen', code: lines('import os', 'os.popen("ls").read()'), blocking: ['process.execution'] },
  { name: 'os.execv', code: lines('import os', 'os.execv("/bin/sh", ["sh"])'), blocking: ['process.execution'] },
  { name: 'os.spawnl', code: lines('from os import spawnl', 'spawnl(0, "/bin/ls", "ls")'), blocking: ['process.execution'] },
  { name: 'pty.spawn', code: lines('import pty', 'pty.spawn("sh")'), blocking: ['process.execution'] },
  { name: 'os via getattr literal', code: lines('import os', 'getattr(os, "system")("ls")'), blocking: ['process.execution'] },
  { name: 'eval', code: lines('eval("1 + 1")'), blocking: ['dynamic.code'] },
  { name: 'exec', code: lines('exec("x = 1")'), blocking: ['dynamic.code'] },
  { name: 'compile', code: lines('compile("1", "f", "eval")'), blocking: ['dynamic.code'] },
  { name: '__import__', code: lines('__import__("os")'), blocking: ['dynamic.code'] },
  { name: 'importlib', code: lines('import importlib', 'importlib.import_module("json")'), blocking: ['dynamic.code'] },
  { name: 'eval aliased', code: lines('e = eval', 'e("1")'), blocking: ['dynamic.code'] },
  { name: 'exec through builtins', code: lines('import builtins', 'builtins.exec("x = 1")'), blocking: ['dynamic.code'] },
  { name: 'eval through getattr on builtins', code: lines('import builtins', 'getattr(builtins, "eval")("1")'), blocking: ['dynamic.code'] },
  { name: 'ctypes', code: lines('import ctypes', 'ctypes.CDLL("libc.so.6")'), blocking: ['native.code'] },
  { name: 'cffi', code: lines('from cffi import FFI', 'ffi = FFI()'), blocking: ['native.code'] },
  { name: 'socket', code: lines('import socket', 's = socket.socket()'), blocking: ['network.access'] },
  { name: 'urllib', code: lines('import urllib.request', 'urllib.request.urlopen("http://x")'), blocking: ['network.access'] },
  { name: 'http.client', code: lines('from http.client import HTTPConnection', 'HTTPConnection("x")'), blocking: ['network.access'] },
  { name: 'requests', code: lines('import requests', 'requests.get("http://x")'), blocking: ['network.access'] },
  { name: 'httpx aliased', code: lines('import httpx as h', 'h.get("http://x")'), blocking: ['network.access'] },
  { name: 'ftplib', code: lines('import ftplib', 'ftplib.FTP("x")'), blocking: ['network.access'] },
  { name: 'smtplib', code: lines('import smtplib', 'smtplib.SMTP("x")'), blocking: ['network.access'] },
  { name: 'shutil.rmtree', code: lines('import shutil', 'shutil.rmtree("data")'), blocking: ['file.delete'] },
  { name: 'os.remove', code: lines('import os', 'os.remove("x.txt")'), blocking: ['file.delete'] },
  { name: 'os.unlink', code: lines('from os import unlink', 'unlink("x.txt")'), blocking: ['file.delete'] },
  { name: 'os.rmdir', code: lines('import os', 'os.rmdir("d")'), blocking: ['file.delete'] },
  { name: 'Path.unlink outside', code: lines('from pathlib import Path', 'Path("/etc/passwd").unlink()'), blocking: ['file.delete'] },
  { name: 'Path.write_text through ..', code: lines('from pathlib import Path', 'Path("../x.txt").write_text("a")'), blocking: ['file.write_outside'] },
  { name: 'Path joined to an absolute base', code: lines('from pathlib import Path', '(Path("/opt") / "cfg").write_text("a")'), blocking: ['file.write_outside'] },
  { name: 'open absolute for writing', code: lines('open("/etc/hosts", "w").write("x")'), blocking: ['file.write_outside'] },
  { name: 'open with .. for appending', code: lines('with open("../../x", "a") as f:', '    f.write("x")'), blocking: ['file.write_outside'] },
  { name: 'open with mode keyword', code: lines('open("/tmp/x", mode="wb")'), blocking: ['file.write_outside'] },
  { name: 'open absolute f-string', code: lines('name = "x"', 'open(f"/var/{name}", "w")'), blocking: ['file.write_outside'] },
  { name: 'pickle', code: lines('import pickle', 'pickle.loads(b"")'), blocking: ['deserialization.unsafe'] },
  { name: 'marshal', code: lines('import marshal', 'marshal.loads(b"")'), blocking: ['deserialization.unsafe'] },
  { name: 'shelve', code: lines('import shelve', 'shelve.open("db")'), blocking: ['deserialization.unsafe'] },
  { name: 'pickle load imported', code: lines('from pickle import load', 'load(open("x", "rb"))'), blocking: ['deserialization.unsafe'] },
  { name: 'os.environ subscript', code: lines('import os', 'key = os.environ["API_KEY"]'), blocking: ['environment.read'] },
  { name: 'os.getenv', code: lines('import os', 'os.getenv("API_KEY")'), blocking: ['environment.read'] },
  { name: 'environ imported', code: lines('from os import environ', 'environ.get("K")'), blocking: ['environment.read'] },
  { name: 'os.environ.get', code: lines('import os', 'os.environ.get("K")'), blocking: ['environment.read'] },
  { name: 'globals()', code: lines('globals()["x"] = 1'), blocking: ['escape.introspection'] },
  { name: 'vars()', code: lines('import epics', 'vars(epics)["caput"]("A", 1)'), blocking: ['escape.introspection'] },
  { name: '__builtins__', code: lines('__builtins__.print("x")'), blocking: ['escape.introspection'] },
  { name: '__subclasses__', code: lines('().__class__.__bases__[0].__subclasses__()'), blocking: ['escape.introspection'] },
  { name: 'sys.modules', code: lines('import sys', 'sys.modules["os"].system("ls")'), blocking: ['escape.introspection'] },
  { name: 'setattr on a module', code: lines('import os', 'setattr(os, "sep", "x")'), blocking: ['escape.module_mutation'] },
  { name: 'assignment to a module attribute', code: lines('import epics', 'epics.caput = print'), blocking: ['escape.module_mutation'] },
  { name: 'getattr with a computed name on epics', code: lines('import epics', 'n = "ca" + "put"', 'getattr(epics, n)("A", 1)'), blocking: ['resolution.dynamic_attribute'] },
  { name: 'getattr with a computed name on os', code: lines('import os', 'fn = input()', 'getattr(os, fn)("ls")'), blocking: ['resolution.dynamic_attribute'] },
  { name: 'syntax error', code: lines('def f(:', '    pass'), blocking: ['syntax.error'] },
  { name: 'NUL byte', code: 'x = 1\n\0\nresults = {}\n', blocking: ['syntax.nul_byte'] },
];

export const reads: CorpusCase[] = [
  { name: 'caget', code: lines('from epics import caget', 'v = caget("A:B")'), reads: ['A:B'], writes: [] },
  { name: 'PV get', code: lines('import epics', 'v = epics.PV("A:B").get()'), reads: ['A:B'], writes: [] },
  { name: 'PV value read', code: lines('from epics import PV', 'p = PV("A:B")', 'print(p.value)'), reads: ['A:B'], writes: [] },
  { name: 'caget_many', code: lines('import epics', 'epics.caget_many(["A", "B"])'), reads: ['A', 'B'], writes: [] },
];

export const traps: CorpusCase[] = [
  { name: 'dict.get', code: lines('d = {"a": 1}', 'x = d.get("a")'), trap: true },
  { name: 'dict() get', code: lines('data = dict(a=1)', 'data.get("a")'), trap: true },
  { name: 'queue.Queue put/get', code: lines('import queue', 'q = queue.Queue()', 'q.put(1)', 'q.get()'), trap: true },
  { name: 'Queue imported', code: lines('from queue import Queue', 'jobs = Queue()', 'jobs.put("x")'), trap: true },
  { name: 'asyncio queue', code: lines('import asyncio', 'async def main():', '    q = asyncio.Queue()', '    await q.put(1)'), trap: true },
  { name: 'multiprocessing queue', code: lines('import multiprocessing', 'q = multiprocessing.Queue()', 'q.put(1)'), trap: true },
  { name: 'requests as a variable', code: lines('requests = ["a", "b"]', 'requests.append("c")', 'print(len(requests))'), trap: true },
  { name: 'requests dict get', code: lines('requests = {}', 'requests.get("http://x")'), trap: true },
  { name: 'eval in a string', code: lines('x = "eval(1)"', 'print(x)'), trap: true },
  { name: 'eval in a comment', code: lines('# eval("x") and os.system("rm -rf /")', 'x = 1'), trap: true },
  { name: 'subprocess in a docstring', code: lines('def f():', '    """Never call subprocess.run or caput here."""', '    return 1'), trap: true },
  { name: 'os.system in a string', code: lines('print("os.system(\'rm\')")'), trap: true },
  { name: 'context.get', code: lines('results = {}', 'results["a"] = context.get("k")'), trap: true },
  { name: 'caput as a dict key', code: lines('config = {"caput": 1}', 'config["caput"]'), trap: true },
  { name: 'numpy put', code: lines('import numpy as np', 'a = np.zeros(3)', 'np.put(a, [0], [5])', 'a.put([1], [2])'), trap: true },
  { name: 'pandas get', code: lines('import pandas as pd', 'df = pd.DataFrame({"a": [1]})', 'df.get("a")'), trap: true },
  { name: 'local function named caput', code: lines('def caput(a, b):', '    return a + b', 'caput(1, 2)'), trap: true },
  { name: 'json result get', code: lines('import json', 'cfg = json.loads("{}")', 'cfg.get("k")'), trap: true },
  { name: 'relative open for writing', code: lines('with open("out.txt", "w") as f:', '    f.write("x")'), trap: true },
  { name: 'pathlib inside the folder', code: lines('from pathlib import Path', 'Path("figures").mkdir(exist_ok=True)', '(Path("figures") / "a.txt").write_text("x")'), trap: true },
  { name: 'absolute open for reading', code: lines('print(open("/etc/hostname").read())'), trap: true },
  { name: 'harmless os functions', code: lines('import os', 'os.path.join("a", "b")', 'os.getcwd()', 'os.listdir(".")'), trap: true },
  { name: 'datetime', code: lines('import datetime', 'now = datetime.datetime.now()'), trap: true },
  { name: 'OrderedDict get', code: lines('from collections import OrderedDict', 'od = OrderedDict()', 'od.get(1)'), trap: true },
  { name: 'local class with put', code: lines('class Recorder:', '    def put(self, v):', '        self.v = v', 'r = Recorder()', 'r.put(1)'), trap: true },
  { name: 'getattr literal on a local object', code: lines('class A:', '    name = "x"', 'a = A()', 'getattr(a, "name")'), trap: true },
  { name: 'function named evaluate', code: lines('def evaluate(x):', '    return x', 'evaluate(1)'), trap: true },
  { name: 'names that contain rule words', code: lines('my_socket_count = 3', 'environment = "prod"', 'pickle_file = "a.pkl"', 'print(my_socket_count, environment, pickle_file)'), trap: true },
  { name: 'attribute named system on a local class', code: lines('class A:', '    system = 1', 'print(A().system)'), trap: true },
  { name: 'logging a rule word', code: lines('import logging', 'logging.getLogger().info("caput eval subprocess")'), trap: true },
  { name: 'thread with a local target', code: lines('import threading', 'def work():', '    pass', 'threading.Thread(target=work).start()'), trap: true },
  { name: 'matplotlib', code: lines('import matplotlib.pyplot as plt', 'plt.plot([1, 2])', 'plt.savefig("figures/a.png")'), trap: true },
  { name: 'string contains subprocess', code: lines('text = "a"', 'print("subprocess" in text)'), trap: true },
  { name: 'epics read only', code: lines('from epics import caget', 'results = {"v": caget("A:B")}'), trap: true },
  { name: 'set add', code: lines('s = set()', 's.add(1)'), trap: true },
];

export const corpus: CorpusCase[] = [...writeEvasions, ...blockingPatterns, ...reads, ...traps];
