"""An execution's slot in pyexec's OS sandbox (adapters/sandbox/): its own cgroup,
staging and scratch folders, private /tmp and /dev/shm, then Landlock, taken
before any generated code runs (pyexec_confine, from the sandbox's library folder)."""

import importlib
import sys

_slot_plan = []


def slot_plan(confine):
    """The confinement prepared once per process (pyexec_confine.SlotPlan; a process has one
    confinement): a fork server prepares it before forking, so its spares only take slots from it."""
    if not _slot_plan:
        _slot_plan.append(confine_module(confine).SlotPlan(confine))
    return _slot_plan[0]


def take_slot(confine, slot):
    """In the sandbox, before any job: this execution's own cgroup, folders, private /tmp and
    /dev/shm, then Landlock (writes only there). Irreversible; a failure ends the process before
    code could run unconfined. Also used by the Jupyter kernels' start (pyexec_kernel_start)."""
    return slot_plan(confine).take(slot)


def confine_module(confine):
    """pyexec_confine, from the sandbox's library folder (not from the code's sys.path)."""
    if "pyexec_confine" not in sys.modules:
        sys.path.insert(0, confine["lib"])
        try:
            importlib.import_module("pyexec_confine")
        finally:
            sys.path.remove(confine["lib"])
    return sys.modules["pyexec_confine"]
