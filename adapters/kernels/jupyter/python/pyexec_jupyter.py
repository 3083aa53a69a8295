"""pyexec inside a Jupyter kernel: an IPython extension around pyexec_harness.

pyexec's kernelspecs load it at kernel start (--IPKernelApp.extensions), so
that before any code runs the read-only guard is installed (unless
PYEXEC_ALLOWS_WRITES=1) and the heavy modules are imported once (the kernel
then waits in pyexec's warm pool). Each kernel runs one execution; the
executor brackets the user's cell with two hidden calls:

* ``begin(...)`` - working folder, ``context``, resource limits, output cap;
* ``finish()`` - ``results`` serialised and figures saved by the shared
  harness; the report is published as display data of pyexec's own MIME type,
  which the executor takes out of the user's outputs.
"""

import atexit
import os
import signal
import sys
import time

import pyexec_harness as harness
from IPython import get_ipython
from IPython.display import publish_display_data

REPORT_MIME = "application/vnd.pyexec.report+json"
_job = {}


def load_ipython_extension(ipython):
    if os.environ.get("PYEXEC_ALLOWS_WRITES") != "1":
        harness.install_write_guard()
    _protect_protocol()
    harness.preload()
    atexit.register(_end_process_group)


def _protect_protocol():
    """The code shares this interpreter with the kernel: a monkeypatched
    json.dumps or json.JSONEncoder must not break the kernel's messages.
    jupyter_client's packer gets a private copy of the json package."""
    import jupyter_client.session

    jupyter_client.session.json = harness.load_private_json()


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


def begin(folder, attempt, output_cap_bytes, memory_mb, cpu_seconds, max_processes):
    """Prepares this (fresh) kernel for one execution in `folder`."""
    ipython = get_ipython()
    os.chdir(folder)
    ipython.user_ns["context"] = harness.load_context(folder)
    ipython.user_ns.pop("results", None)
    os.environ["HOME"] = folder
    _job.update(folder=folder, attempt=attempt)
    for stream in (sys.stdout, sys.stderr):
        stream.write = CappedWrite(stream.write, output_cap_bytes)
    os._exit = _flushing_exit(os._exit)
    harness.limit_resources(memory_mb, cpu_seconds, max_processes)


def finish():
    """Collects what the execution left and publishes the report. The
    executor calls it as a user expression of the code's own request (after
    an error in the code, as a request of its own)."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
        vars(stream).pop("write", None)
    try:
        results, figures, error = harness.collect(get_ipython().user_ns, _job["folder"], _job["attempt"])
    except BaseException as exc:  # noqa: B902 - a broken result or figure is the code's error
        results, figures, error = None, [], {"type": type(exc).__name__, "message": str(exc), "traceback": ""}
    publish_display_data({REPORT_MIME: {"results": results, "figures": figures, "error": error}})
