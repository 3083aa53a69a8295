"""pyexec's Python side: runs one piece of generated code and reports what it left.

Standard library only, Python >= 3.8. Usable three ways:

* ``python3 pyexec_harness.py run [--confine JSON]`` (the cold local kernel):
  reads a job spec (JSON) from stdin, runs it in this process, writes the
  report (JSON) to file descriptor 3. stdout and stderr are the caller's pipes.
* ``python3 pyexec_harness.py serve --socket PATH [--confine JSON]`` (the warm
  local kernel): a fork server (pyexec_fork_server).
* inside another kernel (Jupyter, pyexec_jupyter), which imports the library
  modules next to this file, one idea each: pyexec_context (``context``),
  pyexec_guard (the read-only guard), pyexec_resource_limits, pyexec_streams
  (capped output), pyexec_serialise (``results`` as JSON), pyexec_figures,
  pyexec_preload, pyexec_code (run the code, collect what it left),
  pyexec_slot (a sandboxed execution's slot).

This folder is on the interpreter's path in every case: as the script's own
folder for the local kernel, sandboxed or not (bound read-only at
/pyexec/harness), and on PYTHONPATH for the Jupyter kernels.

The report never travels on stdout: generated code owns stdout.

``--confine`` is given when the process runs in pyexec's OS sandbox
(adapters/sandbox/): each execution then takes a slot (its own cgroup, a
staging folder, a private /tmp, /dev/shm and MPLCONFIGDIR) and restricts itself with
Landlock before any generated code runs (pyexec_confine, bound next to this
folder). The sandbox is the boundary; nothing in this folder is.
"""

import os
import sys

from pyexec_fork_server import main_serve
from pyexec_job import run_and_report
from pyexec_json import private_json
from pyexec_slot import take_slot


def main_run(confine):
    spec = private_json.loads(sys.stdin.buffer.read().decode("utf-8"))
    slot = take_slot(confine, spec["slot"]) if confine is not None else None
    run_and_report(spec, slot)
    # The report is out: interpreter teardown would only delay the caller.
    os._exit(0)


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
