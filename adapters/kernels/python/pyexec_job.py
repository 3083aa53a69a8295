"""One job of the local kernel in this process (cold, or a fork server's child): the
process wired for it (folder, environment, limits, guard, streams), the code run,
the report written to file descriptor 3 after stdout and stderr are closed."""

import faulthandler
import io
import os
import sys

import pyexec_limits
from pyexec_code import run_job
from pyexec_guard import install_write_guard
from pyexec_json import private_json
from pyexec_resource_limits import limit_resources
from pyexec_streams import capture_output

REPORT_FD = 3


def write_report(report):
    data = private_json.dumps(report, allow_nan=False).encode("utf-8")
    view = memoryview(data)
    while len(view):
        view = view[os.write(REPORT_FD, view):]
    os.close(REPORT_FD)


def enter_slot(spec, slot):
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


def enter_job(spec, slot=None):
    """Wiring common to cold and warm: folder, environment, limits, guard, streams."""
    if slot is not None:
        enter_slot(spec, slot)
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


def close_output():
    """stdout and stderr end before the report, so the caller has everything once it has the report."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)


def run_and_report(spec, slot=None):
    enter_job(spec, slot)
    report = run_job(spec)
    close_output()
    write_report(report)
