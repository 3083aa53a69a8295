"""Resource limits of one execution: rlimits for this process and what it starts,
and a process budget (a fork bomb stops after a bounded number of processes)."""

import mmap
import os
import resource
import struct
import sys

USER_PROCESS_LIMIT = 4096


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
