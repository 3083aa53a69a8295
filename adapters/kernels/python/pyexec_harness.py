"""pyexec's Python side: runs one piece of generated code and reports what it left.

Standard library only, Python >= 3.8. Usable three ways:

* ``python3 pyexec_harness.py run [--confine JSON]`` (the cold local kernel):
  reads a job spec (JSON) from stdin, runs it in this process, writes the
  report (JSON) to file descriptor 3. stdout and stderr are the caller's pipes.
* ``python3 pyexec_harness.py serve --socket PATH [--confine JSON]`` (the warm
  local kernel): a fork server. Heavy modules are imported once; each job is run by a child
  forked ahead of time (a spare), whose stdout, stderr and report
  channel are connections to the caller's Unix socket. Control messages are
  JSON lines: requests on stdin, events on file descriptor 3.
* ``import pyexec_harness`` inside another kernel (Jupyter): ``preload`` at
  start, ``prepare_namespace`` before the code, ``collect`` after it,
  ``install_write_guard`` for read-only kernels.

The report never travels on stdout: generated code owns stdout.

``--confine`` is given when the process runs in pyexec's OS sandbox
(adapters/sandbox/): each execution then takes a slot (its own cgroup, a
staging folder, a private /tmp, /dev/shm and MPLCONFIGDIR) and restricts itself with
Landlock before any generated code runs (pyexec_confine, bound next to this
file). The sandbox is the boundary; nothing in this file is.
"""

import datetime
import decimal
import faulthandler
import gc
import importlib
import io
import linecache
import math
import mmap
import os
import pathlib
import resource
import selectors
import signal
import socket
import struct
import sys
import time
import traceback

import pyexec_limits

CODE_FILENAME = "<pyexec-code>"
REPORT_FD = 3
MAX_DEPTH = 64
HEAVY_MODULES = ("numpy", "pandas", "matplotlib")
MAX_RESULT_BYTES = 64 * 1024 * 1024
USER_PROCESS_LIMIT = 4096


def load_private_json():
    """A json package of our own, loaded apart from sys.modules["json"].

    The code runs in this interpreter and may monkeypatch json.dumps,
    json.JSONEncoder or json.encoder; results.json and the report must not
    care. Binding json.dumps is not enough: it calls into json.encoder, which
    is shared, so the submodules are loaded afresh too."""
    shared = {name: sys.modules.pop(name) for name in list(sys.modules) if name == "json" or name.startswith("json.")}
    try:
        return importlib.import_module("json")
    finally:
        for name in [name for name in sys.modules if name == "json" or name.startswith("json.")]:
            del sys.modules[name]
        sys.modules.update(shared)


private_json = load_private_json()


# --------------------------------------------------------------------------
# context


class AttrDict(dict):
    """A dict whose keys are also attributes: ``context.beam.current``."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError("context has no key %r" % name) from None

    def __setattr__(self, name, value):
        self[name] = value


def _attr_hook(pairs):
    return AttrDict(pairs)


def load_context(folder):
    """context.json of the execution folder, or an empty context."""
    path = os.path.join(folder, "context.json")
    if not os.path.exists(path):
        return AttrDict()
    with open(path, "r", encoding="utf-8") as handle:
        loaded = private_json.load(handle, object_pairs_hook=_attr_hook)
    return loaded if isinstance(loaded, AttrDict) else AttrDict(value=loaded)


def prepare_namespace(folder):
    """The globals generated code runs in: ``context`` and an empty ``results``."""
    return {"__name__": "__main__", "__builtins__": __builtins__, "context": load_context(folder)}


# --------------------------------------------------------------------------
# read-only guard for control-system writes: an early, friendly refusal with a
# clear message. It is not the boundary (code in this interpreter can remove
# any Python-level guard); the sandbox's network policy is.


class ControlSystemWriteRefused(PermissionError):
    """Raised by a control-system write in a read-only execution."""


def _refusing(qualified_name):
    def refuse(*args, **kwargs):
        shown = ", ".join([repr(a) for a in args[:2]] + ["%s=%r" % kv for kv in list(kwargs.items())[:2]])
        raise ControlSystemWriteRefused(
            "control-system write refused: %s(%s) in a read-only execution "
            "(this mode does not allow writes; ask for a write-access execution with approval)"
            % (qualified_name, shown)
        )

    refuse.__name__ = qualified_name.rsplit(".", 1)[-1]
    refuse.__pyexec_guard__ = True
    return refuse


# module name -> functions to replace; classes with a `put` method are found by scan.
_GUARDED_FUNCTIONS = {
    "epics": ("caput", "caput_many"),
    "epics.ca": ("put", "array_put", "sg_put"),
    "epics.pv": ("caput",),
}
# libca entry points that write (ca_array_put, ca_array_put_callback, ca_sg_array_put, ...).
_LIBCA_WRITE_MARK = "put"


class _GuardedLibca:
    """epics.ca.libca with its write entry points refused; reads pass through."""

    def __init__(self, library):
        object.__setattr__(self, "_library", library)

    def __getattr__(self, name):
        if _LIBCA_WRITE_MARK in name.lower():
            return _refusing("epics.ca.libca.%s" % name)
        return getattr(object.__getattribute__(self, "_library"), name)

    def __setattr__(self, name, value):
        setattr(object.__getattribute__(self, "_library"), name, value)


def _guard_libca(ca):
    """Wraps the loaded libca, and initialize_libca so that a later load is wrapped too."""
    library = getattr(ca, "libca", None)
    if library is not None and not isinstance(library, _GuardedLibca):
        ca.libca = _GuardedLibca(library)
    initialize = getattr(ca, "initialize_libca", None)
    if callable(initialize) and not getattr(initialize, "__pyexec_guard__", False):

        def initialize_guarded(*args, **kwargs):
            result = initialize(*args, **kwargs)
            _guard_libca(ca)
            return ca.libca

        initialize_guarded.__pyexec_guard__ = True
        ca.initialize_libca = initialize_guarded


def _guard_module(name, module):
    for attr in _GUARDED_FUNCTIONS.get(name, ()):
        current = getattr(module, attr, None)
        if callable(current) and not getattr(current, "__pyexec_guard__", False):
            setattr(module, attr, _refusing("%s.%s" % (name, attr)))
    for attr, value in list(vars(module).items()):
        # Only epics' own classes (PV, Device, Motor...): an imported queue.Queue keeps its put.
        is_epics_class = isinstance(value, type) and str(getattr(value, "__module__", "")).split(".")[0] == "epics"
        put = getattr(value, "put", None) if is_epics_class else None
        if callable(put) and not getattr(put, "__pyexec_guard__", False):
            setattr(value, "put", _refusing("%s.%s.put" % (name, attr)))
    if name == "epics.ca":
        _guard_libca(module)


def _guard_loaded_modules():
    # A submodule is never loaded without its package. Looking first keeps a
    # forked child from walking (and so copying the pages of) every module.
    if "epics" not in sys.modules:
        return
    for name, module in list(sys.modules.items()):
        if module is not None and (name == "epics" or name.startswith("epics.")):
            _guard_module(name, module)


class _GuardingLoader:
    """Wraps the real loader of an epics module and guards it once executed."""

    def __init__(self, inner):
        self._inner = inner

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        _guard_loaded_modules()

    def __getattr__(self, name):
        return getattr(self._inner, name)


class _WriteGuardFinder:
    """Meta-path finder: whichever `epics` is installed, it is guarded when imported."""

    def find_spec(self, name, path=None, target=None):
        if name != "epics" and not name.startswith("epics."):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _GuardingLoader(spec.loader)
                return spec
        return None


def install_write_guard():
    """Makes the pyepics write surface raise ControlSystemWriteRefused: caput,
    caput_many, PV.put (and any epics class's put), ca.put, ca.sg_put and the
    write entry points of ca.libca. The friendly refusal, not the boundary."""
    if not any(isinstance(finder, _WriteGuardFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _WriteGuardFinder())
    _guard_loaded_modules()


# --------------------------------------------------------------------------
# process budget: a fork bomb stops after a bounded number of processes


class _ProcessBudget:
    """Counts process creations of this execution and of all its descendants.

    The count lives in anonymous shared memory, so forks share it. RLIMIT_NPROC
    does not bind root; this audit hook does (for Python-level process
    creation; the process-group kill on timeout covers the rest).
    """

    EVENTS = frozenset(("os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.system", "subprocess.Popen"))

    def __init__(self, limit):
        self.limit = limit
        self.shared = mmap.mmap(-1, 8)

    def __call__(self, event, args):
        if event not in self.EVENTS:
            return
        used = struct.unpack_from("q", self.shared, 0)[0] + 1
        struct.pack_into("q", self.shared, 0, used)
        if used > self.limit:
            raise PermissionError("process limit reached: this execution may start at most %d processes" % self.limit)


def limit_resources(memory_mb, cpu_seconds, max_processes, max_file_bytes):
    """rlimits for this process and what it starts; an exceeded limit is an error in the code."""
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # No single file (posix_fallocate included) grows past this; Python ignores SIGXFSZ, so it is an OSError.
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 2))
    if os.getuid() != 0:
        # Counts every process of the user, so it is a coarse backstop; root is exempt from it.
        resource.setrlimit(resource.RLIMIT_NPROC, (USER_PROCESS_LIMIT, USER_PROCESS_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.addaudithook(_ProcessBudget(max_processes))


# --------------------------------------------------------------------------
# capped output streams


class _Cap:
    """Shared byte allowance of one stream. One byte past the cap is let
    through, so the reader (which keeps cap bytes) knows output was cut."""

    def __init__(self, fd, cap):
        self.fd = fd
        self.remaining = cap + 1

    def write_bytes(self, data):
        if self.remaining <= 0 or len(data) == 0:
            return
        view = memoryview(data).cast("B")[: self.remaining]
        self.remaining -= len(view)
        while len(view):
            written = os.write(self.fd, view)
            view = view[written:]


class CappedBinaryStream(io.RawIOBase):
    def __init__(self, cap):
        self._cap = cap

    def writable(self):
        return True

    def write(self, data):
        self._cap.write_bytes(data)
        return len(data)

    def fileno(self):
        return self._cap.fd


class CappedTextStream(io.TextIOBase):
    """sys.stdout / sys.stderr: unbuffered, writes through to the fd until the
    cap, then drops; never encodes more than the remaining allowance (a 1 GB
    print costs nothing beyond the string itself)."""

    def __init__(self, fd, cap):
        self._cap = _Cap(fd, cap)
        self._binary = CappedBinaryStream(self._cap)

    @property
    def encoding(self):
        return "utf-8"

    @property
    def errors(self):
        return "backslashreplace"

    @property
    def buffer(self):
        return self._binary

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return self._cap.fd

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        if self._cap.remaining > 0:
            self._cap.write_bytes(text[: self._cap.remaining].encode("utf-8", "backslashreplace"))
        return len(text)

    def flush(self):
        pass


def capture_output(cap_bytes):
    sys.stdout = CappedTextStream(1, cap_bytes)
    sys.stderr = CappedTextStream(2, cap_bytes)
    sys.__stdout__, sys.__stderr__ = sys.stdout, sys.stderr


# --------------------------------------------------------------------------
# serialisation of `results`


def _finite(number):
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return number


def to_jsonable(value, depth=0):
    """numpy, pandas, datetime, set, complex, bytes handled; anything else as repr."""
    if depth > MAX_DEPTH:
        return repr(value)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _finite(float(value))
    if isinstance(value, complex):
        return {"real": _finite(value.real), "imag": _finite(value.imag)}
    if isinstance(value, dict):
        return {_key(k): to_jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item, depth + 1) for item in value]
    if isinstance(value, (set, frozenset)):
        items = [to_jsonable(item, depth + 1) for item in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return repr(raw)
    if isinstance(value, decimal.Decimal):
        return _finite(float(value))
    if isinstance(value, pathlib.PurePath):
        return str(value)
    converted = _convert_scientific(value, depth)
    return converted if converted is not _UNHANDLED else repr(value)


_UNHANDLED = object()


def _convert_scientific(value, depth):
    """numpy and pandas, looked up only if the code imported them."""
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    if pd is not None:
        if isinstance(value, pd.DataFrame):
            split = value.to_dict(orient="split")
            return {
                "columns": to_jsonable(split["columns"], depth + 1),
                "index": to_jsonable(split["index"], depth + 1),
                "data": to_jsonable(split["data"], depth + 1),
            }
        if isinstance(value, pd.Series):
            return {_key(k): to_jsonable(v, depth + 1) for k, v in value.items()}
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
        if value is pd.NaT:
            return None
    if np is not None:
        if isinstance(value, np.ndarray):
            if value.dtype.kind in "Mm":
                return value.astype(str).tolist()
            return to_jsonable(value.tolist(), depth + 1)
        if isinstance(value, (np.datetime64, np.timedelta64)):
            return str(value)
        if isinstance(value, np.generic):
            return to_jsonable(value.item(), depth + 1)
    return _UNHANDLED


def _key(key):
    converted = to_jsonable(key, MAX_DEPTH)
    return converted if isinstance(converted, str) else private_json.dumps(converted)


# --------------------------------------------------------------------------
# figures


def save_figures(folder, attempt):
    """Saves and closes every open matplotlib figure; returns their paths."""
    if "matplotlib.pyplot" not in sys.modules:
        return []
    plt = sys.modules["matplotlib.pyplot"]
    numbers = plt.get_fignums()
    if not numbers:
        return []
    figures_dir = os.path.join(folder, "figures")
    os.makedirs(figures_dir, exist_ok=True)
    paths = []
    for index, number in enumerate(numbers, start=1):
        path = os.path.join(figures_dir, "attempt_%02d_figure_%02d.png" % (attempt, index))
        plt.figure(number).savefig(path, format="png")
        paths.append(path)
    plt.close("all")
    return paths


# --------------------------------------------------------------------------
# running code


def _error(exc_type, exc, tb):
    lines = traceback.format_exception(exc_type, exc, tb)
    return {
        "type": exc_type.__name__,
        "message": str(exc),
        "traceback": "".join(lines),
        "traceback_lines": [line.rstrip("\n") for line in lines],
    }


def run_code(code, namespace):
    """Executes code in namespace; returns None or the error (user frames only)."""
    linecache.cache[CODE_FILENAME] = (len(code), None, code.splitlines(True), CODE_FILENAME)
    try:
        exec(compile(code, CODE_FILENAME, "exec"), namespace)
    except SystemExit as exc:
        if exc.code in (None, 0):
            return None
        return _error(type(exc), exc, exc.__traceback__.tb_next)
    except BaseException as exc:  # noqa: B902 - the user's code may raise anything
        return _error(type(exc), exc, exc.__traceback__.tb_next)
    return None


def collect(namespace, folder, attempt):
    """results serialised (and written to results.json), figures saved."""
    error = None
    results = namespace.get("results")
    if not isinstance(results, dict):
        found = "no `results` variable" if "results" not in namespace else "`results` is a %s" % type(results).__name__
        error = {
            "type": "MissingResults",
            "message": "the code must leave its output in a dict named `results` (%s)" % found,
            "traceback": "",
            "traceback_lines": [],
        }
        serialised = None
    else:
        serialised = to_jsonable(results)
        text = private_json.dumps(serialised, allow_nan=False)
        if len(text) > MAX_RESULT_BYTES:
            error = {
                "type": "ResultsTooLarge",
                "message": "`results` serialises to %d bytes, more than %d; keep large data in files"
                % (len(text), MAX_RESULT_BYTES),
                "traceback": "",
                "traceback_lines": [],
            }
            serialised = None
        else:
            with open(os.path.join(folder, "results.json"), "w", encoding="utf-8") as handle:
                handle.write(text)
    return serialised, save_figures(folder, attempt), error


def run_job(spec):
    """Runs one job in this process (stdout/stderr/fd 3 already wired); returns the report."""
    owner = os.getpid()
    started = time.perf_counter()
    folder = spec["folder"]
    namespace = prepare_namespace(folder)
    error = run_code(spec["code"], namespace)
    if os.getpid() != owner:
        # A process forked by the code fell back into the harness: it must not report.
        os._exit(1)
    try:
        results, figures, missing = collect(namespace, folder, spec["attempt"])
    except BaseException as exc:  # noqa: B902 - a broken result or figure is the code's error
        results, figures, missing = None, [], _error(type(exc), exc, exc.__traceback__)
    error = error or missing
    reported = spec.get("reported_folder") or folder
    figures = [os.path.join(reported, os.path.relpath(path, folder)) for path in figures]
    return {
        "status": "runtime_error" if error else "succeeded",
        "results": results if error is None else None,
        "figures": figures,
        "error": error,
        "duration_ms": (time.perf_counter() - started) * 1000,
    }


def _write_report(report):
    data = private_json.dumps(report, allow_nan=False).encode("utf-8")
    view = memoryview(data)
    while len(view):
        view = view[os.write(REPORT_FD, view):]
    os.close(REPORT_FD)


_slot_plan = []


def slot_plan(confine):
    """The confinement prepared once per process (pyexec_confine.SlotPlan; a process has one
    confinement): a fork server prepares it before forking, so its spares only take slots from it."""
    if not _slot_plan:
        _slot_plan.append(_confine_module(confine).SlotPlan(confine))
    return _slot_plan[0]


def take_slot(confine, slot):
    """In the sandbox, before any job: this execution's own cgroup, folders, private /tmp and
    /dev/shm, then Landlock (writes only there). Irreversible; a failure ends the process before
    code could run unconfined. Also used by the Jupyter kernels' start (pyexec_kernel_start)."""
    return slot_plan(confine).take(slot)


def _confine_module(confine):
    """pyexec_confine, from the sandbox's library folder (not from the code's sys.path)."""
    if "pyexec_confine" not in sys.modules:
        sys.path.insert(0, confine["lib"])
        try:
            importlib.import_module("pyexec_confine")
        finally:
            sys.path.remove(confine["lib"])
    return sys.modules["pyexec_confine"]


def _enter_slot(spec, slot):
    """The spec as it applies in a slot: the staging folder with the job's context, private HOME, TMPDIR, MPLCONFIGDIR."""
    spec["folder"] = slot["work"]
    if spec.get("context") is not None:
        with open(os.path.join(slot["work"], "context.json"), "w", encoding="utf-8") as handle:
            handle.write(spec["context"])
    spec["environment"] = dict(
        spec["environment"],
        PATH=os.environ.get("PATH", "/usr/bin:/bin"),
        HOME=slot["work"],
        TMPDIR="/tmp",
        MPLCONFIGDIR=os.path.join(slot["scratch"], "matplotlib"),
    )


def _enter_job(spec, slot=None):
    """Wiring common to cold and warm: folder, environment, limits, guard, streams."""
    if slot is not None:
        _enter_slot(spec, slot)
    os.chdir(spec["folder"])
    os.environ.clear()
    os.environ.update(spec["environment"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    faulthandler.enable()
    capture_output(spec["output_cap_bytes"])
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r"))
    if not spec["allows_writes"]:
        install_write_guard()
    else:
        # Every write is checked against the channel limits before it reaches the network (docs/limits.md).
        pyexec_limits.install(spec["folder"], spec["attempt"], spec.get("channel_limits"))
    limit_resources(spec["memory_mb"], spec["cpu_seconds"], spec["max_processes"], spec["max_file_bytes"])


def _close_output():
    """stdout and stderr end before the report, so the caller has everything once it has the report."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)


def _run_and_report(spec, slot=None):
    _enter_job(spec, slot)
    report = run_job(spec)
    _close_output()
    _write_report(report)


def main_run(confine):
    spec = private_json.loads(sys.stdin.buffer.read().decode("utf-8"))
    slot = take_slot(confine, spec["slot"]) if confine is not None else None
    _run_and_report(spec, slot)
    # The report is out: interpreter teardown would only delay the caller.
    os._exit(0)


# --------------------------------------------------------------------------
# fork server


def _render_probe_figure():
    """Draws and encodes a small figure: loads fonts and the Agg paths code will use."""
    if "matplotlib.pyplot" not in sys.modules:
        return
    plt = sys.modules["matplotlib.pyplot"]
    figure = plt.figure()
    axes = figure.gca()
    axes.plot([0, 1], [0, 1], label="probe")
    axes.set_title("probe")
    axes.legend()
    figure.savefig(io.BytesIO(), format="png")
    plt.close("all")


def preload():
    """Imports the heavy modules once, so children start warm."""
    for name in HEAVY_MODULES:
        try:
            __import__(name)
        except ImportError:
            continue
    if "matplotlib" in sys.modules:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401 - preloaded for the children
    _render_probe_figure()
    # Preloaded objects move to the permanent generation: a collection in a
    # child does not touch them, so their pages stay shared (copy-on-write).
    gc.collect()
    gc.freeze()


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


class _ForkServer:
    """Keeps one spare child forked ahead of time, so a job does not wait for the
    fork (~2.5 ms with numpy, matplotlib and pandas loaded). The spare rehearses
    only the cheap part of a job's path that changes nothing (``_rehearse``: a few
    ms of CPU the job would spend anyway), then blocks until it is handed a job:
    warming it further (rendering a probe figure, ~50-100 ms of CPU per execution)
    was measured to cost the running execution more, on two cores, than it saved
    a later figure.

    In the sandbox (confine given) the spare also takes its slot ahead of time
    (cgroup, folders, Landlock), so none of that is on a job's path."""

    def __init__(self, socket_path, confine):
        self.socket_path = socket_path
        self.confine = confine
        # Slot names must not repeat across fork servers of a mode: in the sandbox's pid namespace
        # every server has the same pid, and a replaced server's slots may still be being torn down.
        self.slot_prefix = "w" + os.urandom(6).hex()
        self.slots = 0
        self.children = {}  # pid -> token, for children running a job
        self.spare = None  # (pid, write end of its job pipe, slot name)
        # Processes that are not executions: the network forwarder forked before this program started.
        self.helpers = set(_child_pids())
        self.events = os.fdopen(REPORT_FD, "w", buffering=1)
        self.wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(wake_write)
        # Ctrl-C in a terminal reaches the whole foreground group; the caller decides when we stop.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.pending = b""

    def emit(self, **event):
        self.events.write(private_json.dumps(event) + "\n")

    def serve(self):
        selector = selectors.DefaultSelector()
        selector.register(0, selectors.EVENT_READ, "requests")
        selector.register(self.wake_read, selectors.EVENT_READ, "children")
        self.fork_spare()
        self.emit(event="ready", pid=os.getpid(), preloaded=[m for m in HEAVY_MODULES if m in sys.modules])
        while True:
            for key, _ in selector.select():
                if key.data == "children":
                    os.read(self.wake_read, 4096)
                    self.reap()
                elif not self.read_requests():
                    self.shutdown()
                    return

    def read_requests(self):
        chunk = os.read(0, 65536)
        if not chunk:
            return False
        self.pending += chunk
        while b"\n" in self.pending:
            line, self.pending = self.pending.split(b"\n", 1)
            if line.strip():
                self.handle(line)
        self.reap()
        return True

    def handle(self, line):
        request = private_json.loads(line)
        if "kill" in request:
            self.kill(request["kill"], request["signal"])
            return
        token = request["token"]
        if self.spare is None and not self.fork_spare():
            self.emit(event="fork_failed", token=token, message="cannot fork a child")
            return
        pid, job_pipe, slot = self.spare
        self.spare = None
        try:
            view = memoryview(line)
            while len(view):
                view = view[os.write(job_pipe, view):]
        except OSError as exc:
            # The spare died meanwhile; reap() reports nothing for it, the caller runs elsewhere.
            self.emit(event="fork_failed", token=token, message="spare child gone: %s" % exc)
            return
        finally:
            os.close(job_pipe)
        self.children[pid] = token
        self.emit(event="forked", token=token, pid=pid, slot=slot)
        self.fork_spare()

    def kill(self, token, signal_number):
        """Signals an execution's process group (in the sandbox without cgroups; pids are ours, not the caller's)."""
        for pid, owner in self.children.items():
            if owner == token:
                try:
                    os.killpg(pid, signal_number)
                except OSError:
                    pass

    def sweep(self):
        """Without cgroups, processes that left their group (setsid) are found only
        as the sandbox's leftovers: killed whenever no execution runs."""
        if self.confine is None or self.confine["cgroup"] is not None or self.children:
            return
        keep = {os.getpid(), 1} | self.helpers | ({self.spare[0]} if self.spare else set())
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in keep:
                try:
                    os.kill(int(entry), signal.SIGKILL)
                except OSError:
                    pass

    def fork_spare(self):
        self.slots += 1
        slot = "%s-%d" % (self.slot_prefix, self.slots)
        job_read, job_write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(job_read)
            os.close(job_write)
            return False
        if pid == 0:
            os.close(job_write)
            self.become_spare(job_read, slot)
        os.close(job_read)
        self.spare = (pid, job_write, slot)
        return True

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.spare is not None and self.spare[0] == pid:
                os.close(self.spare[1])
                self.spare = None
                continue
            token = self.children.pop(pid, None)
            if token is None:
                continue
            exit_code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
            signal_number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
            self.emit(event="exited", token=token, pid=pid, exit_code=exit_code, signal=signal_number)
            self.sweep()

    def become_spare(self, job_read, slot):
        """In the forked child: own process group (and, sandboxed, its slot), wait for a job, run it."""
        try:
            os.setsid()
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            taken = take_slot(self.confine, slot) if self.confine is not None else None
            try:
                _rehearse()
            except Exception:  # noqa: B902 - only a head start: the job does all of it again
                pass
            request = _read_all(job_read)
            if not request:
                os._exit(0)  # the server is gone: no job will come
            request = private_json.loads(request)
            self.run_child(request["token"], request["spec"], taken)
        except BaseException:  # noqa: B902 - whatever happens, the child never returns to the server loop
            try:
                traceback.print_exc()
            finally:
                os._exit(70)
        os._exit(0)

    def run_child(self, token, spec, slot):
        """Streams to the caller's socket (introduced by the token), then the job."""
        channels = {}
        for name in ("stdout", "stderr", "report"):
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.connect(self.socket_path)
            connection.sendall(("%s %s\n" % (token, name)).encode("ascii"))
            connection.shutdown(socket.SHUT_RD)
            channels[name] = connection.detach()
        os.dup2(channels["stdout"], 1)
        os.dup2(channels["stderr"], 2)
        os.dup2(channels["report"], REPORT_FD)
        os.closerange(REPORT_FD + 1, 65536)
        _run_and_report(spec, slot)

    def shutdown(self):
        """The caller is gone: nothing it started may outlive it."""
        pids = list(self.children) + ([self.spare[0]] if self.spare is not None else [])
        for pid in pids:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass


_REHEARSAL_REQUEST = '{"token": "0", "spec": {"code": "results = {\\"x\\": [1, 2.5, \\"a\\"]}\\n", "environment": {"PATH": "/usr/bin"}}}'


def _rehearse():
    """What every job's path does that changes nothing the job will see, done once in a spare
    before its job arrives. A forked child copies each page it writes (copy-on-write; tens of
    microseconds a page in a virtual machine, ~350 pages for a trivial job): these pages are
    then copied ahead, off the job's path (measured: 108 -> 65 ms, warm spare, loaded machine).
    Not the write guard (write jobs must not have it) nor anything of the job's environment."""
    request = private_json.loads(_REHEARSAL_REQUEST)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__, "context": AttrDict()}
    run_code(request["spec"]["code"], namespace)
    private_json.dumps({"status": "succeeded", "results": to_jsonable(namespace["results"]), "figures": [], "error": None, "duration_ms": 0.5})
    linecache.cache.pop(CODE_FILENAME, None)
    null = os.open(os.devnull, os.O_RDWR)
    try:
        CappedTextStream(null, 16).write("rehearsal")
        io.TextIOWrapper(io.FileIO(null, "r", closefd=False)).read()
        counter = mmap.mmap(-1, 8)
        struct.pack_into("q", counter, 0, struct.unpack_from("q", counter, 0)[0] + 1)
        counter.close()
    finally:
        os.close(null)
    dict(os.environ)


def _child_pids():
    """Our children right now (from /proc/<pid>/task/*/children)."""
    found = []
    task_dir = "/proc/%d/task" % os.getpid()
    for task in os.listdir(task_dir):
        try:
            with open(os.path.join(task_dir, task, "children")) as handle:
                found.extend(int(pid) for pid in handle.read().split())
        except OSError:
            continue
    return found


def main_serve(socket_path, confine):
    if confine is not None:
        # Children run generated code as this uid: they must not read or write this process's
        # memory through /proc/<pid>/mem (Landlock's ptrace scoping covers them too).
        _confine_module(confine).set_dumpable(False)
        # Before the preload's gc.freeze: the plan's objects are then never traversed in a child.
        slot_plan(confine)
    preload()
    _ForkServer(socket_path, confine).serve()


def _confine_option(argv):
    """The JSON after --confine, or None (no sandbox)."""
    if "--confine" not in argv:
        return None
    return private_json.loads(argv[argv.index("--confine") + 1])


def main(argv):
    confine = _confine_option(argv)
    if len(argv) >= 2 and argv[1] == "run":
        main_run(confine)
    elif len(argv) >= 4 and argv[1] == "serve" and argv[2] == "--socket":
        main_serve(argv[3], confine)
    else:
        sys.stderr.write("usage: pyexec_harness.py run [--confine JSON] | serve --socket PATH [--confine JSON]\n")
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
