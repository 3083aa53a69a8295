"""Confinement of one execution inside pyexec's sandbox, from Python (stdlib + ctypes).

The sandbox (bwrap, see adapters/sandbox/) already gives the process its own
namespaces, an unprivileged uid and a read-only root. What this module adds
is per execution, so that executions sharing one sandbox (children of a warm
fork server) cannot reach each other or the server:

* ``join_cgroup``: the calling process enters a fresh cgroup (pids and memory
  limits for everything the execution starts; the executor kills the cgroup
  at the end).
* ``restrict``: Landlock. Reads only below the given system paths, writes
  only below the execution's own folders, TCP connects only to the given
  ports, and the scopes that keep signals and abstract Unix sockets inside
  the execution's own domain (so it cannot signal, ptrace or read the memory
  of the fork server, a sibling or the next spare child).
* ``set_dumpable(False)``: a process whose memory others must not read or
  write through /proc/<pid>/mem even with the same uid.

Every call raises ``ConfinementError`` rather than run the code unconfined.
Syscall numbers are x86_64 and aarch64 (the same for Landlock: 444-446).
"""

import ctypes
import os
import resource
import struct

SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
LANDLOCK_RULE_NET_PORT = 2
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
O_PATH = 0o10000000

# Filesystem access rights (ABI 1, then REFER 2, TRUNCATE 3, IOCTL_DEV 5).
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13
FS_TRUNCATE = 1 << 14
FS_IOCTL_DEV = 1 << 15
NET_BIND_TCP = 1 << 0
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
SCOPE_SIGNAL = 1 << 1

# What this module needs: signal scoping arrived with ABI 6.
REQUIRED_ABI = 6

READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
WRITE = (
    FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_DIR | FS_MAKE_REG
    | FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_SYM | FS_REFER | FS_TRUNCATE
)
ALL_FS = READ | WRITE | FS_MAKE_CHAR | FS_MAKE_BLOCK | FS_IOCTL_DEV

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class ConfinementError(OSError):
    """The execution cannot be confined: it must not run."""


def _check(result, what):
    if result < 0:
        errno = ctypes.get_errno()
        raise ConfinementError(errno, "%s: %s" % (what, os.strerror(errno)))
    return result


def landlock_abi():
    """The kernel's Landlock ABI version, or 0 when Landlock is missing or disabled."""
    result = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return result if result > 0 else 0


def set_dumpable(dumpable):
    _check(_libc.prctl(PR_SET_DUMPABLE, 1 if dumpable else 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")


def _add_path_rule(ruleset, path, access):
    try:
        fd = os.open(path, O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return  # a system path this machine does not have grants nothing
    try:
        # struct landlock_path_beneath_attr is packed: u64 allowed_access, s32 parent_fd.
        if not os.path.isdir(path):
            # Rights on a file; a device node also takes ioctls (isatty on /dev/null must say no, not EACCES).
            access = (access | FS_IOCTL_DEV) & (FS_EXECUTE | FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV)
        attr = ctypes.create_string_buffer(struct.pack("=Qi", access, fd))
        _check(_libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, attr, 0), "landlock_add_rule(%s)" % path)
    finally:
        os.close(fd)


def restrict(readable, writable, connect_ports):
    """Landlock for this process and all it starts: irreversible.

    readable: paths (read + execute below them); writable: paths (read and
    write below them); connect_ports: TCP ports this process may connect to
    (binding TCP ports is refused)."""
    abi = landlock_abi()
    if abi < REQUIRED_ABI:
        raise ConfinementError(0, "Landlock ABI %d or newer is needed, the kernel has %d" % (REQUIRED_ABI, abi))
    handled_fs = ALL_FS if abi >= 5 else ALL_FS & ~FS_IOCTL_DEV
    # struct landlock_ruleset_attr: u64 handled_access_fs, u64 handled_access_net, u64 scoped.
    attr = ctypes.create_string_buffer(
        struct.pack("=QQQ", handled_fs, NET_BIND_TCP | NET_CONNECT_TCP, SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
    )
    ruleset = _check(_libc.syscall(SYS_LANDLOCK_CREATE_RULESET, attr, ctypes.c_size_t(24), ctypes.c_uint32(0)), "landlock_create_ruleset")
    try:
        for path in readable:
            _add_path_rule(ruleset, path, READ)
        for path in writable:
            _add_path_rule(ruleset, path, READ | WRITE)
        for port in connect_ports:
            rule = ctypes.create_string_buffer(struct.pack("=QQ", NET_CONNECT_TCP, port))
            _check(_libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_NET_PORT, rule, 0), "landlock_add_rule(port %d)" % port)
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
        _check(_libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0), "landlock_restrict_self")
    finally:
        os.close(ruleset)


def join_cgroup(cgroup, name, pids_max, memory_bytes):
    """Creates cgroup `name` below the delegated folders and moves this process into it.

    cgroup: {"version": 1, "pids": DIR, "memory": DIR} or {"version": 2, "dir": DIR}."""
    try:
        if cgroup["version"] == 2:
            folder = os.path.join(cgroup["dir"], name)
            os.mkdir(folder)
            _write(folder, "pids.max", pids_max)
            _write(folder, "memory.max", memory_bytes)
            _write(folder, "memory.swap.max", 0, optional=True)
            _write(folder, "cgroup.procs", 0)
            return
        pids = os.path.join(cgroup["pids"], name)
        memory = os.path.join(cgroup["memory"], name)
        os.mkdir(pids)
        os.mkdir(memory)
        _write(pids, "pids.max", pids_max)
        _write(memory, "memory.limit_in_bytes", memory_bytes)
        # With swap accounting the limit on memory+swap must be set too, or the excess swaps instead of failing.
        _write(memory, "memory.memsw.limit_in_bytes", memory_bytes, optional=True)
        _write(pids, "cgroup.procs", 0)
        _write(memory, "cgroup.procs", 0)
    except OSError as exc:
        raise ConfinementError(exc.errno or 0, "cannot join cgroup %s: %s" % (name, exc)) from None


def _write(folder, name, value, optional=False):
    path = os.path.join(folder, name)
    if optional and not os.path.exists(path):
        return
    with open(path, "w") as handle:
        handle.write(str(value))


def limit_file_size(max_bytes):
    """RLIMIT_FSIZE: no single file (posix_fallocate included) grows past max_bytes."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))


if __name__ == "__main__":
    # The start-up probe (adapters/sandbox/detect.ts): run inside a sandbox, prints the Landlock ABI.
    print(landlock_abi())
