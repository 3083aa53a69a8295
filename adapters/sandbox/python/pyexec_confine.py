"""Confinement of one execution inside pyexec's sandbox, from Python (stdlib + ctypes).

The sandbox (bwrap, see adapters/sandbox/) already gives the process its own
namespaces, an unprivileged uid and a read-only root. What this module adds
is per execution, so that executions sharing one sandbox (children of a warm
fork server) cannot reach each other or the server:

* ``SlotPlan(confine).take(slot)``: the calling process takes an execution's
  slot: it enters a fresh cgroup (pids and memory limits for everything the
  execution starts; the executor kills the cgroup at the end), creates its
  folders, gets a private ``/tmp`` and ``/dev/shm`` (size-limited tmpfs in a
  mount namespace of its own, gone with its last process) and restricts
  itself with Landlock: reads only below the system paths, writes only to
  its own folders, TCP connects only to the allowed ports, and the scopes
  that keep signals and abstract Unix sockets inside the execution's own
  domain (so it cannot signal, ptrace or read the memory of the fork server,
  a sibling or the next spare child).
* ``set_dumpable(False)``: a process whose memory others must not read or
  write through /proc/<pid>/mem even with the same uid.

A warm fork server makes the plan once and each spare child takes a slot
from it: a forked child pays a page copy (tens of microseconds in a virtual
machine) for every page it writes, so everything that can be prepared (file
descriptors of the system paths, packed Landlock rules, byte strings) is
prepared before the fork, and the child's part is a short run of system
calls.

Every call raises ``ConfinementError`` rather than run the code unconfined.
Syscall numbers are x86_64 and aarch64 (the same for Landlock: 444-446).
"""

import ctypes
import json
import os
import stat
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
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_NOSUID = 1 << 1
MS_NODEV = 1 << 2
MS_BIND = 1 << 12
MS_REC = 1 << 14
MS_PRIVATE = 1 << 18
LINUX_CAPABILITY_VERSION_3 = 0x20080522

# Filesystem access rights, one bit each from bit 0 in the kernel's order (uapi/linux/landlock.h:
# ABI 1, then REFER 2, TRUNCATE 3, IOCTL_DEV 5).
(
    FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR, FS_REMOVE_DIR, FS_REMOVE_FILE,
    FS_MAKE_CHAR, FS_MAKE_DIR, FS_MAKE_REG, FS_MAKE_SOCK, FS_MAKE_FIFO, FS_MAKE_BLOCK,
    FS_MAKE_SYM, FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV,
) = (1 << bit for bit in range(16))
# Network access rights and scopes, likewise.
NET_BIND_TCP, NET_CONNECT_TCP = (1 << bit for bit in range(2))
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = (1 << bit for bit in range(2))

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
# Resolved now, not at first use in a forked child (where each new object costs page copies).
for _name in ("prctl", "unshare", "mount", "capset"):
    getattr(_libc, _name)


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


def _path_rule(fd, path, access):
    """struct landlock_path_beneath_attr (packed: u64 allowed_access, s32 parent_fd), for an open O_PATH fd."""
    if not os.path.isdir(path):
        # Rights on a file; a device node also takes ioctls (isatty on /dev/null must say no, not EACCES).
        access = (access | FS_IOCTL_DEV) & (FS_EXECUTE | FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV)
    return struct.pack("=Qi", access, fd)


def _open_path(path):
    """An O_PATH descriptor, or None for a system path this machine does not have (it grants nothing)."""
    try:
        return os.open(path, O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return None


def _write(path, value):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, value)
    finally:
        os.close(fd)


def _fail(what, exc):
    raise ConfinementError(exc.errno or 0, "%s: %s" % (what, exc)) from None


class PrivateMounts:
    """tmpfs mounts private to a process and what it starts, in a mount namespace of its own (so
    in a user namespace of its own, whose capabilities are dropped at once; the Landlock domain
    that follows forbids any further mount). Their pages count against the execution's memory
    cgroup, and they vanish with its last process. Prepared once, entered per slot."""

    def __init__(self, mounts, kept=()):
        """mounts: [(target, size in bytes)]; kept: the readable paths below
        a target (a PYTHONPATH entry under the host's /tmp), bound again on top of the fresh tmpfs."""
        self.targets = [target for target, _ in mounts]
        self.kept = list(kept)
        self.mounts = [(target.encode(), b"size=%d,mode=1777" % size) for target, size in mounts]
        self.uid_map = b"%d %d 1" % (os.getuid(), os.getuid())
        self.gid_map = b"%d %d 1" % (os.getgid(), os.getgid())
        # struct __user_cap_header_struct, then two empty __user_cap_data_struct: no capability at all.
        self.cap_header = ctypes.create_string_buffer(struct.pack("=Ii", LINUX_CAPABILITY_VERSION_3, 0))
        self.cap_data = ctypes.create_string_buffer(24)

    def enter(self):
        _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare(user, mount namespaces)")
        try:
            _write("/proc/self/setgroups", b"deny")
            _write("/proc/self/uid_map", self.uid_map)
            _write("/proc/self/gid_map", self.gid_map)
        except OSError as exc:
            _fail("cannot map the ids of the private mount namespace", exc)
        # Nothing mounted here propagates back to the sandbox shared by other executions.
        _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount(/, private)")
        # Held in this namespace (a bind takes its source from the caller's own namespace).
        kept = [(path, _open_path(path)) for path in self.kept]
        for target, options in self.mounts:
            _check(_libc.mount(b"tmpfs", target, b"tmpfs", MS_NOSUID | MS_NODEV, options), "mount(tmpfs on %s)" % target)
        for path, fd in kept:
            if fd is not None:
                self._bind_again(path, fd)
        _check(_libc.capset(self.cap_header, self.cap_data), "capset(none)")

    @staticmethod
    def _bind_again(path, fd):
        """The tmpfs hides what the sandbox bound below it: the same read-only mount comes back at its
        path. Recursive: a bind of a locked mount must take its submounts along."""
        try:
            is_folder = stat.S_ISDIR(os.fstat(fd).st_mode)
            os.makedirs(path if is_folder else os.path.dirname(path), 0o755, exist_ok=True)
            if not is_folder:
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o644))
            _check(_libc.mount(b"/proc/self/fd/%d" % fd, path.encode(), None, MS_BIND | MS_REC, None), "mount(bind %s)" % path)
        except OSError as exc:
            _fail("cannot keep %s visible under the private mounts" % path, exc)
        finally:
            os.close(fd)


class SlotPlan:
    """What taking a slot needs, prepared once (see the module docstring).

    confine: the JSON the executor hands over (adapters/sandbox/mode-sandbox.ts,
    ``Confinement``): work_root, scratch_root, readable, devices, ports,
    cgroup, private_tmp_bytes, private_shm_bytes, plus pids_max and
    memory_bytes from the kernel."""

    def __init__(self, confine):
        abi = landlock_abi()
        if abi < REQUIRED_ABI:
            raise ConfinementError(0, "Landlock ABI %d or newer is needed, the kernel has %d" % (REQUIRED_ABI, abi))
        self.work_root = confine["work_root"]
        self.scratch_root = confine["scratch_root"]
        handled_fs = ALL_FS if abi >= 5 else ALL_FS & ~FS_IOCTL_DEV
        # struct landlock_ruleset_attr: u64 handled_access_fs, u64 handled_access_net, u64 scoped.
        self.ruleset_attr = struct.pack("=QQQ", handled_fs, NET_BIND_TCP | NET_CONNECT_TCP, SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
        # Descriptors of the system paths stay open in this process: each child adds its rules from them.
        self.fds = []
        self.rules = []
        private = [("/tmp", confine["private_tmp_bytes"]), ("/dev/shm", confine["private_shm_bytes"])]
        below_private = tuple(target + "/" for target, _ in private)
        kept = []
        for paths, access in ((confine["readable"], READ), (confine["devices"], READ | WRITE)):
            for path in paths:
                fd = _open_path(path)
                if fd is not None:
                    self.fds.append(fd)
                    self.rules.append(_path_rule(fd, path, access))
                    if path.startswith(below_private):
                        kept.append(path)
        self.port_rules = [struct.pack("=QQ", NET_CONNECT_TCP, port) for port in confine["ports"]]
        self.private = PrivateMounts(private, kept)
        self.cgroup = self._cgroup_plan(confine["cgroup"], b"%d" % confine["pids_max"], b"%d" % confine["memory_bytes"])

    @staticmethod
    def _cgroup_plan(cgroup, pids_max, memory_bytes):
        """(folder, [(file, value)] before joining, optional files) per controller; the process joins last."""
        if cgroup is None:
            return []
        if cgroup["version"] == 2:
            return [(cgroup["dir"], [("pids.max", pids_max), ("memory.max", memory_bytes)], [("memory.swap.max", b"0")])]
        # With swap accounting the limit on memory+swap must be set too, or the excess swaps instead of failing.
        return [
            (cgroup["pids"], [("pids.max", pids_max)], []),
            (cgroup["memory"], [("memory.limit_in_bytes", memory_bytes)], [("memory.memsw.limit_in_bytes", memory_bytes)]),
        ]

    def take(self, slot):
        """In the process that will run the execution, before any of its code: irreversible.
        Returns the slot's folders (inside paths): work (the staging folder) and scratch."""
        self._join_cgroup(slot)
        work = os.path.join(self.work_root, slot)
        scratch = os.path.join(self.scratch_root, slot)
        try:
            for folder in (work, scratch, os.path.join(scratch, "matplotlib")):
                os.mkdir(folder, 0o700)
        except OSError as exc:
            _fail("cannot create the folders of slot %s" % slot, exc)
        # A child of a non-dumpable fork server is non-dumpable, so its /proc/self files (the id
        # maps) are not its own. Landlocked executions cannot reach it anyway (ptrace scoping: no
        # access out of their own domain), and nothing runs in it but this until restrict().
        set_dumpable(True)
        self.private.enter()
        self._restrict([work, scratch] + self.private.targets)
        return {"work": work, "scratch": scratch}

    def _join_cgroup(self, slot):
        try:
            created = []
            for root, limits, optional in self.cgroup:
                folder = os.path.join(root, slot)
                os.mkdir(folder)
                created.append(folder)
                for name, value in limits:
                    _write(os.path.join(folder, name), value)
                for name, value in optional:
                    if os.path.exists(os.path.join(folder, name)):
                        _write(os.path.join(folder, name), value)
            for folder in created:
                _write(os.path.join(folder, "cgroup.procs"), b"0")
        except OSError as exc:
            _fail("cannot join cgroup %s" % slot, exc)

    def _restrict(self, writable):
        ruleset = _check(_libc.syscall(SYS_LANDLOCK_CREATE_RULESET, self.ruleset_attr, ctypes.c_size_t(24), ctypes.c_uint32(0)), "landlock_create_ruleset")
        try:
            for rule in self.rules:
                _check(_libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, rule, 0), "landlock_add_rule")
            for path in writable:
                fd = _open_path(path)
                if fd is None:
                    raise ConfinementError(0, "landlock: %s is missing" % path)
                try:
                    rule = _path_rule(fd, path, READ | WRITE)
                    _check(_libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, rule, 0), "landlock_add_rule(%s)" % path)
                finally:
                    os.close(fd)
            for rule in self.port_rules:
                _check(_libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_NET_PORT, rule, 0), "landlock_add_rule(port)")
            _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
            _check(_libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0), "landlock_restrict_self")
        finally:
            os.close(ruleset)
        # This process's copies of the plan's descriptors: the code has no use for them.
        for fd in self.fds:
            os.close(fd)


def _probe_private_mounts():
    """In a child (the namespaces are the child's): None when /tmp and /dev/shm can be made private, else why not."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        message = b""
        try:
            PrivateMounts([("/tmp", 1 << 20), ("/dev/shm", 1 << 20)]).enter()
        except OSError as exc:
            message = str(exc).encode()
        os.write(write_end, message)
        os._exit(0)
    os.close(write_end)
    message = os.read(read_end, 4096).decode()
    os.close(read_end)
    os.waitpid(pid, 0)
    return message or None


if __name__ == "__main__":
    # The start-up probe (adapters/sandbox/detect.ts): run inside a sandbox, prints what it found.
    print(json.dumps({"landlock_abi": landlock_abi(), "private_mounts_refused": _probe_private_mounts()}))
