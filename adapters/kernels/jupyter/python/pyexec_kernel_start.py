"""Starts a Jupyter kernel inside pyexec's sandbox (pyexec_kernel_sandbox.py runs it there).

    python3 pyexec_kernel_start.py SLOT CONFINE_JSON CONNECTION_FILE -- KERNEL_ARGV...

Before the kernel exists, so before ipykernel starts any thread (Landlock
binds only the threads that exist after it, and the code could otherwise
reach an unconfined one through the kernel's event loops):

* reads the connection file the launcher left in the read-only channels folder;
* takes the slot as a local execution does: its own cgroup, its own work and
  scratch folders, a private /tmp and /dev/shm, Landlock (writes only there, TCP connects only to the
  allowed ports, no signals out of its domain);
* writes the connection file again in the scratch folder, with the ZMQ ipc
  sockets there (the launcher links the server's socket paths to them);
* replaces itself with the kernel: Landlock and the cgroup outlive the exec.

A kernel runs one execution, so the slot is the execution's.
"""

import json
import os
import sys

from pyexec_slot import take_slot


def main(argv):
    slot, confine, connection_file = argv[1], json.loads(argv[2]), argv[3]
    kernel = argv[argv.index("--") + 1:]
    with open(connection_file, encoding="utf-8") as handle:
        connection = json.load(handle)
    folders = take_slot(confine, slot)
    scratch = folders["scratch"]
    connection["ip"] = os.path.join(scratch, "zmq")
    own_file = os.path.join(scratch, "kernel.json")
    descriptor = os.open(own_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(connection, handle)
    for name in ("ipython", "runtime"):
        os.mkdir(os.path.join(scratch, name), 0o700)
    os.environ.update(
        PYEXEC_STAGING=folders["work"],
        HOME=folders["work"],
        TMPDIR="/tmp",
        MPLCONFIGDIR=os.path.join(scratch, "matplotlib"),
        IPYTHONDIR=os.path.join(scratch, "ipython"),
        JUPYTER_RUNTIME_DIR=os.path.join(scratch, "runtime"),
    )
    os.chdir(folders["work"])
    os.execv(kernel[0], kernel + ["-f", own_file])


if __name__ == "__main__":
    main(sys.argv)
