"""The warm local kernel's fork server: heavy modules imported once, each job run by
a child forked ahead of time (a spare), whose stdout, stderr and report channel
are connections to the caller's Unix socket. Control messages are JSON lines:
requests on stdin, events on file descriptor 3."""

import builtins
import io
import linecache
import mmap
import os
import selectors
import signal
import socket
import struct
import sys
import traceback

from pyexec_code import CODE_FILENAME, run_code
from pyexec_context import AttrDict
from pyexec_job import REPORT_FD, run_and_report
from pyexec_json import private_json
from pyexec_preload import HEAVY_MODULES, preload
from pyexec_serialise import to_jsonable
from pyexec_slot import confine_module, slot_plan, take_slot
from pyexec_streams import CappedTextStream


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


class ForkServer:
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
        run_and_report(spec, slot)

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
    namespace = {"__name__": "__main__", "__builtins__": builtins, "context": AttrDict()}
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
        confine_module(confine).set_dumpable(False)
        # Before the preload's gc.freeze: the plan's objects are then never traversed in a child.
        slot_plan(confine)
    preload()
    ForkServer(socket_path, confine).serve()
