"""pyexec inside a Jupyter kernel: an IPython extension around the harness's library
(adapters/kernels/python: pyexec_guard, pyexec_preload, pyexec_context, pyexec_code...).

pyexec's kernelspecs load it at kernel start (--IPKernelApp.extensions), so
that before any code runs the read-only guard is installed (unless
PYEXEC_ALLOWS_WRITES=1) and the heavy modules are imported once (the kernel
then waits in pyexec's warm pool). Each kernel runs one execution, in one
execute_request whose metadata carries the job (``pyexec``: folder, attempt,
limits). The extension wraps the kernel's ``do_execute`` so that request runs

* ``begin`` - working folder, ``context``, resource limits, output cap; when
  it fails the code does not run and the reply says so;
* the code itself, as any cell;
* ``finish`` - ``results`` serialised and figures saved by the shared
  harness (also after an error in the code; not after an interrupt, which
  means the executor gave up on the execution).

The report travels in the execute_reply (``pyexec``), next to the status:
no second request, and nothing of pyexec's among the code's outputs.
"""

import atexit
import inspect
import os
import signal
import sys
import threading
import time
import traceback

import pyexec_limits
from pyexec_code import collect
from pyexec_context import load_context
from pyexec_guard import install_write_guard
from pyexec_json import load_private_json
from pyexec_preload import preload
from pyexec_resource_limits import limit_resources
from IPython import get_ipython

_job = {}
_loaded = []


def load_ipython_extension(ipython):
    if os.environ.get("PYEXEC_ALLOWS_WRITES") != "1":
        install_write_guard()
    _protect_protocol()
    preload()
    atexit.register(_end_process_group)
    _pipe_forked_output(ipython.kernel)
    _take_over_execute(ipython.kernel)
    _loaded.append(True)


#: The relay of forked children's output: an ipc socket in the kernel's private /tmp (pyexec_kernel_start).
FORKED_OUTPUT_SOCKET = "/tmp/pyexec-forked-output"


def _pipe_forked_output(kernel):
    """ipykernel relays what forked children (os.fork, multiprocessing) print to the kernel
    through a ZMQ pipe bound on TCP 127.0.0.1; in the sandbox, where Landlock refuses every TCP
    bind, that pipe is never made and the children's output is dropped. The same pipe is bound
    on an ipc socket instead, in the kernel's private /tmp (only its own processes see it)."""
    iopub = getattr(kernel, "iopub_thread", None)
    if iopub is None or iopub._pipe_flag or not os.environ.get("PYEXEC_STAGING"):
        return
    import zmq
    from zmq.eventloop.zmqstream import ZMQStream

    address = "ipc://" + FORKED_OUTPUT_SOCKET
    pipe_in = iopub.socket.context.socket(zmq.PULL)
    pipe_in.linger = 0
    pipe_in.bind(address)
    iopub._pipe_uuid = os.urandom(16)
    attached = threading.Event()

    def attach():
        # The stream belongs to the IOPub thread's loop: made there.
        iopub._pipe_in = ZMQStream(pipe_in, iopub.io_loop)
        iopub._pipe_in.on_recv(iopub._handle_pipe_msg)
        attached.set()

    def setup_pipe_out():
        context = zmq.Context()
        pipe_out = context.socket(zmq.PUSH)
        pipe_out.linger = 3000
        pipe_out.connect(address)
        return context, pipe_out

    iopub.io_loop.add_callback(attach)
    if not attached.wait(10):
        raise RuntimeError("pyexec_jupyter: the IOPub thread did not take the forked-output pipe")
    iopub._setup_pipe_out = setup_pipe_out
    iopub._pipe_flag = True


def ready():
    """The pool's first cell: fails unless the extension was loaded at start
    (a kernelspec without it would run code without guard or limits)."""
    if not _loaded:
        raise RuntimeError("pyexec_jupyter was not loaded as an extension at kernel start")


def _protect_protocol():
    """The code shares this interpreter with the kernel: a monkeypatched
    json.dumps or json.JSONEncoder must not break the kernel's messages.
    jupyter_client's packer gets a private copy of the json package."""
    import jupyter_client.session

    jupyter_client.session.json = load_private_json()


def _take_over_execute(kernel):
    """Requests carrying a job run begin, the code and finish (module docstring);
    others (the pool's first cell) run as usual."""
    if not hasattr(kernel, "get_parent"):
        raise RuntimeError("pyexec_jupyter needs ipykernel 6 or later")
    run_cell = kernel.do_execute

    async def do_execute(code, silent, store_history=True, user_expressions=None, allow_stdin=False, *, cell_id=None):
        job = (kernel.get_parent("shell").get("metadata") or {}).get("pyexec")
        extra = {} if cell_id is None else {"cell_id": cell_id}
        if job is None:
            return await _awaited(run_cell(code, silent, store_history, user_expressions, allow_stdin, **extra))
        try:
            begin(**job)
        except Exception as exc:  # noqa: B902 - any failure to prepare means the code must not run
            return _unprepared(kernel, exc)
        interrupted = []
        previous = signal.signal(signal.SIGINT, _noting_interrupt(interrupted))
        try:
            reply = await _awaited(run_cell(code, silent, store_history, user_expressions, allow_stdin, **extra))
            if not interrupted:
                reply["pyexec"] = {"prepared": True, "report": finish()}
        finally:
            signal.signal(signal.SIGINT, previous)
        return reply

    kernel.do_execute = do_execute
    _skip_waits_for_nothing(kernel)


def _skip_waits_for_nothing(kernel):
    """ipykernel work an execution of pyexec's does not need, each costing a
    wake-up of its I/O thread (the GIL changing hands) or a message through
    the server, on a few milliseconds' budget. The executor waits for the
    idle status, which ipykernel sends through that same I/O thread after all
    output, so none of it is needed for ordering. (Private ipykernel 6
    attributes: where they do not exist nothing changes.)

    * the 0.5 ms sleep before each reply, meant to let output reach clients first;
    * the execute_input broadcast of a job's code, which the executor ignores;
    * each flush of an empty stdout or stderr (ipykernel flushes both twice
      after every request), which waits for the I/O thread."""
    kernel._execute_sleep = 0
    publish_input = getattr(kernel, "_publish_execute_input", None)
    if publish_input is not None:

        def publish_unless_job(code, parent, execution_count):
            if "pyexec" not in (parent.get("metadata") or {}):
                publish_input(code, parent, execution_count)

        kernel._publish_execute_input = publish_unless_job
    for stream in (sys.stdout, sys.stderr):
        if all(hasattr(stream, name) for name in ("_buffer", "_buffer_lock", "_flush_pending")):
            stream.flush = _flush_when_written(stream, stream.flush)


def _flush_when_written(stream, flush):
    def flush_when_written():
        # Under the lock: the I/O thread swaps the buffer under it, then closes the old one.
        with stream._buffer_lock:
            written = stream._buffer.tell() > 0
        if written or stream._flush_pending:
            flush()

    return flush_when_written


async def _awaited(value):
    return await value if inspect.isawaitable(value) else value


def _noting_interrupt(interrupted):
    """SIGINT as ipykernel handles it (KeyboardInterrupt), noted first: the
    executor interrupts only an execution it has given up on (timeout,
    cancellation), which then must leave no results."""

    def handle(signum, frame):
        interrupted.append(signum)
        signal.default_int_handler(signum, frame)

    return handle


def _unprepared(kernel, exc):
    return {
        "status": "error",
        "ename": type(exc).__name__,
        "evalue": str(exc),
        "traceback": traceback.format_exception(type(exc), exc, exc.__traceback__),
        "execution_count": kernel.shell.execution_count,
        "user_expressions": {},
        "payload": [],
        "pyexec": {"prepared": False},
    }


def _flushing_exit(real_exit):
    """os._exit skips the flush of the kernel's output: what the code printed
    just before would never reach the client."""

    def _exit(status):
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        time.sleep(0.1)  # the messages leave through zmq's own thread
        real_exit(status)

    return _exit


def _end_process_group():
    """Processes the code started die with the kernel, even when it exits
    politely (the server kills the group only when the kernel lingers)."""
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGKILL)


class CappedWrite:
    """Replaces a kernel stream's `write` until `cap` bytes, then drops, so a
    1 GB print never crosses the wire. Set on the stream instance, it also
    catches what ipykernel forwards from file descriptors 1 and 2. One byte
    past the cap goes through so the executor (which keeps `cap`) sees the cut."""

    def __init__(self, write, cap):
        self._write = write
        self._remaining = cap + 1

    def __call__(self, text):
        if self._remaining > 0 and text:
            # Slice before encoding: never encode more than the allowance.
            piece = text[: self._remaining].encode("utf-8", "backslashreplace")[: self._remaining]
            self._remaining -= len(piece)
            self._write(piece.decode("utf-8", "ignore"))
        return len(text)


def begin(folder, attempt, output_cap_bytes, memory_mb, cpu_seconds, max_processes, max_file_bytes, context=None, channel_limits=None):
    """Prepares this (fresh) kernel for one execution in `folder`.

    In the sandbox (PYEXEC_STAGING, set by pyexec_kernel_start) `folder` is
    not visible: the code works in the kernel's staging folder, which the
    executor copies into `folder` afterwards, and `context` is the text of
    the execution's context.json, `channel_limits` that of the attempt's
    channel limits (docs/limits.md)."""
    ipython = get_ipython()
    work = os.environ.get("PYEXEC_STAGING") or folder
    if work != folder and context is not None:
        with open(os.path.join(work, "context.json"), "w", encoding="utf-8") as handle:
            handle.write(context)
    os.chdir(work)
    ipython.user_ns["context"] = load_context(work)
    ipython.user_ns.pop("results", None)
    os.environ["HOME"] = work
    _job.update(folder=work, reported_folder=folder, attempt=attempt)
    for stream in (sys.stdout, sys.stderr):
        stream.write = CappedWrite(stream.write, output_cap_bytes)
    os._exit = _flushing_exit(os._exit)
    if os.environ.get("PYEXEC_ALLOWS_WRITES") == "1":
        # Every write is checked against the channel limits before it reaches the network (docs/limits.md).
        pyexec_limits.install(work, attempt, channel_limits)
    limit_resources(memory_mb, cpu_seconds, max_processes, max_file_bytes)


def finish():
    """What the execution left: `results` serialised (and results.json
    written), open figures saved; a failure to do so is the code's error.
    The streams are not flushed here: ipykernel flushes them before the reply
    (each flush waits for its I/O thread)."""
    for stream in (sys.stdout, sys.stderr):
        vars(stream).pop("write", None)
    try:
        results, figures, error = collect(get_ipython().user_ns, _job["folder"], _job["attempt"])
    except BaseException as exc:  # noqa: B902 - a broken result or figure is the code's error
        results, figures, error = None, [], {"type": type(exc).__name__, "message": str(exc), "traceback": ""}
    # Where the figures will be once the executor has copied the staging folder back.
    figures = [os.path.join(_job["reported_folder"], os.path.relpath(path, _job["folder"])) for path in figures]
    return {"results": results, "figures": figures, "error": error}
