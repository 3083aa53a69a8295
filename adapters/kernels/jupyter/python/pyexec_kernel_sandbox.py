"""The kernelspec's launcher for a sandboxed Jupyter kernel (outside the sandbox).

    python3 pyexec_kernel_sandbox.py SPEC_JSON_FILE CONNECTION_FILE

The Jupyter server (started with KernelManager.transport=ipc) runs this in
place of the kernel. The spec, written by adapters/kernels/jupyter/sandbox.ts
for one mode, holds the command that starts a process in that mode's sandbox
(bwrap: own namespaces, no network but the allow-list's relays, an
unprivileged uid, nothing of pyexec's), with ``@SLOT@`` where the kernel's
slot goes. This launcher

* names the slot after the kernel id (the executor finds the kernel's
  staging folder by it);
* hands the connection file to the sandbox through the channels folder
  (bound read-only; the kernel copies it into its own folder and Landlock
  then keeps every other kernel of the mode away from it);
* links the server's ipc socket paths to the sockets the kernel binds in
  its scratch folder, so the ZMQ channels cross the network namespace;
* waits for the sandbox, then removes the slot's folders and cgroups, and
  exits as the kernel did (a signal as a signal: bwrap reports 128+N), so
  the server can say how a kernel died;
* asked to stop (SIGTERM: the server's shutdown of a kernel that did not
  exit when asked), kills every process of the slot's cgroup and exits only
  once there is none, so a kernel the server reports gone has left nothing.

Interrupts arrive as messages (the kernelspec's interrupt_mode): the kernel
runs in a session of its own, out of reach of the server's signals, and when
the server kills this launcher's process group the sandbox dies with it
(bwrap --die-with-parent, then its PID namespace).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

CHANNELS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


def _slot_of(connection_file):
    match = re.fullmatch(r"kernel-([A-Za-z0-9-]+)\.json", os.path.basename(connection_file))
    if not match:
        raise SystemExit("pyexec_kernel_sandbox: unexpected connection file name %s" % connection_file)
    return "k-" + match.group(1)


def _hand_over(spec, slot, connection):
    """The connection file for the sandbox, readable only by its uid."""
    path = os.path.join(spec["channels"], slot + ".json")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(connection, handle)
    if spec["uid"] is not None:
        os.chown(path, spec["uid"], spec["gid"])
    return path


def _link_sockets(spec, slot, connection):
    links = []
    for channel in CHANNELS:
        port = connection[channel]
        link = "%s-%d" % (connection["ip"], port)
        os.symlink(os.path.join(spec["scratch_root"], slot, "zmq-%d" % port), link)
        links.append(link)
    return links


def _clean_up(spec, slot, paths):
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    for root in (spec["work_root"], spec["scratch_root"]):
        shutil.rmtree(os.path.join(root, slot), ignore_errors=True)
    # The PID namespace is gone with its first process: the slot's cgroups are empty.
    for folder in spec["cgroup_folders"]:
        try:
            os.rmdir(os.path.join(folder, slot))
        except FileNotFoundError:
            pass


def _kill_slot(spec, slot, timeout=10.0):
    """SIGKILL to every process in the slot's cgroups until they are empty (forks in flight included)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = set()
        for folder in spec["cgroup_folders"]:
            try:
                with open(os.path.join(folder, slot, "cgroup.procs"), encoding="ascii") as handle:
                    alive.update(int(line) for line in handle if line.strip())
            except FileNotFoundError:
                continue
        if not alive:
            return
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)


def _exit_like(status):
    if status > 128 and status - 128 < signal.NSIG:
        signal.signal(status - 128, signal.SIG_DFL)
        os.kill(os.getpid(), status - 128)
    sys.exit(status)


def main(argv):
    with open(argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    connection_file = argv[2]
    slot = _slot_of(connection_file)
    with open(connection_file, encoding="utf-8") as handle:
        connection = json.load(handle)
    if connection.get("transport") != "ipc":
        raise SystemExit("pyexec_kernel_sandbox: the Jupyter server must use KernelManager.transport=ipc")
    paths = [_hand_over(spec, slot, connection)]
    try:
        paths += _link_sockets(spec, slot, connection)
        command = spec["command"]
        argv = [part.replace("@SLOT@", slot) for part in [command["file"], *command["args"]]]
        # SIGTERM from the server: the finally clause kills the slot before this process ends.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        status = subprocess.call(argv, env=command["env"])
    finally:
        _kill_slot(spec, slot)
        _clean_up(spec, slot, paths)
    _exit_like(status)


if __name__ == "__main__":
    main(sys.argv)
