"""Channel limits inside a write-mode kernel (docs/limits.md).

Standard library only. The executor writes the effective limits of an
attempt to ``attempts/NN_channel_limits.json`` in the execution folder; the
kernel calls ``install(folder, attempt)`` before the code runs. From then on
every pyepics write is checked before it reaches the network:

* ``epics.ca.put`` (under ``caput``, ``caput_many``, ``PV.put``, devices and
  motors) and ``epics.ca.sg_put``: the channel must be listed (or allowed
  unlisted), writable, the value within ``min_value``/``max_value``, and - when
  the channel has a ``max_step`` - within that step of the channel's current
  value, read first;
* libca's own put functions, reached directly (``epics.ca.libca``), are
  refused: their values cannot be checked.

A refused write raises ``ChannelLimitsViolation`` naming the channel, the
value and the limit. After a write the channel's verification runs
(``callback``: the put waits for the server's confirmation; ``readback``: the
value read back is within the tolerance). Each refusal and each write is
appended at once to ``attempts/NN_channel_writes.jsonl``, which the executor
reads into the execution's result and audit.

This is a guard against mistakes, like the read-only guard: code in the same
interpreter can undo any of it. The boundary is the network (the gateway).
The rules are those of adapters/limits/write-check.ts: a change here is a
change there.
"""

import datetime
import json
import math
import os
import re
import threading

LIMITS_FILE = os.path.join("attempts", "%02d_channel_limits.json")
EVENTS_FILE = os.path.join("attempts", "%02d_channel_writes.jsonl")
READ_TIMEOUT_S = 2.0
# libca entry points that put; only epics.ca's checked put may call them.
RAW_PUTS = ("ca_array_put", "ca_array_put_callback", "ca_sg_array_put")
# Set by the executor in write modes when a limits database is configured: a missing file then refuses every write.
REQUIRED_VARIABLE = "PYEXEC_CHANNEL_LIMITS"


class ChannelLimitsViolation(PermissionError):
    """A control-system write refused by the channel limits database."""


# Bound at import, before generated code runs and can replace json.dumps.
_dumps = json.dumps


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def _jsonable(value):
    """What a write set, for the record (numpy arrays and scalars as lists and numbers)."""
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value if not (isinstance(value, float) and not math.isfinite(value)) else repr(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return _jsonable(tolist())
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return repr(value)


def numbers_of(value):
    """The numbers a value sets (each element of a sequence), or None when it is not numeric."""
    if isinstance(value, bytes):
        return None
    if isinstance(value, str):
        try:
            return [float(value)]
        except ValueError:
            return None
    if isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) > 0:
        found = []
        for item in list(value):
            numbers = numbers_of(item)
            if numbers is None:
                return None
            found.extend(numbers)
        return found
    try:
        return [float(value)]
    except (TypeError, ValueError):
        return None


def _shown(value):
    return _dumps(_jsonable(value))


def _pattern_regex(pattern):
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


class Limits:
    """The effective limits of one attempt: exact names, then patterns in the order given (most specific first)."""

    def __init__(self, spec):
        self.policy = spec["policy"]
        self.unavailable = spec.get("unavailable")
        self.channels = spec.get("channels", {})
        self.patterns = [(entry["pattern"], _pattern_regex(entry["pattern"]), entry["limits"]) for entry in spec.get("patterns", [])]

    def lookup(self, pv):
        """(entry, limits) or None."""
        if pv in self.channels:
            return pv, self.channels[pv]
        for pattern, regex, limits in self.patterns:
            if regex.fullmatch(pv):
                return pattern, limits
        return None


class Refusal(Exception):
    """A failed check, before it is recorded and raised to the code as ChannelLimitsViolation."""

    def __init__(self, limit, message, current=None):
        super().__init__(message)
        self.limit = limit
        self.message = message
        self.current = current


class Guard:
    """The checked replacements of pyepics' put functions, and the record of each write."""

    def __init__(self, limits, events_path, ca):
        self.limits = limits
        self.events_path = events_path
        self.ca = ca
        self.state = threading.local()

    # -- records ---------------------------------------------------------

    def record(self, **event):
        event["at"] = _now()
        line = (_dumps(event) + "\n").encode("utf-8")
        os.makedirs(os.path.dirname(self.events_path), exist_ok=True)
        fd = os.open(self.events_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    # -- checks (the rules of write-check.ts) ------------------------------

    def check(self, pv, value, chid):
        """The channel's limits (None when unlisted and allowed); raises Refusal."""
        channel = '"%s"' % pv
        if self.limits.unavailable is not None:
            raise Refusal("unavailable", "the channel limits file cannot be used, so every write is refused: %s" % self.limits.unavailable)
        match = self.limits.lookup(pv)
        if match is None:
            if self.limits.policy == "allow_unlisted":
                return None, None
            raise Refusal("unlisted", "%s is not in the limits database, and writes to unlisted channels are refused (deny_unlisted)" % channel)
        entry, limits = match
        source = ' (limits of "%s")' % entry if entry != pv else ""
        if not limits["writable"]:
            raise Refusal("writable", "%s is not writable in the limits database%s" % (channel, source))
        shown = _shown(value)
        numbers = numbers_of(value)
        low, high, step = limits["min_value"], limits["max_value"], limits["max_step"]
        if (low is not None or high is not None or step is not None) and (numbers is None or any(math.isnan(n) for n in numbers)):
            raise Refusal("not_numeric", "%s for %s is not a number, so its limits cannot be checked%s" % (shown, channel, source))
        if low is not None and any(n < low for n in numbers):
            raise Refusal("min_value", "%s for %s is below its minimum %s%s" % (shown, channel, low, source))
        if high is not None and any(n > high for n in numbers):
            raise Refusal("max_value", "%s for %s is above its maximum %s%s" % (shown, channel, high, source))
        current = None
        if step is not None:
            current = self.ca.get(chid, timeout=READ_TIMEOUT_S)
            now = numbers_of(current) if current is not None else None
            if now is None or len(now) != len(numbers):
                raise Refusal("step_unreadable", "the current value of %s could not be read (got %s), so its max_step %s cannot be checked" % (channel, _shown(current), step))
            taken = max(abs(new - old) for new, old in zip(numbers, now))
            if taken > step:
                raise Refusal(
                    "max_step",
                    "%s for %s is a step of %g from its current value %s, more than its max_step %s%s" % (shown, channel, taken, _shown(current), step, source),
                    current,
                )
        return limits, current

    def refuse(self, pv, value, function, refusal):
        self.record(pv=pv, value=_jsonable(value), function=function, outcome="refused", limit=refusal.limit, message=refusal.message,
                    **({"current": _jsonable(refusal.current)} if refusal.current is not None else {}))
        raise ChannelLimitsViolation("channel limits: write refused: %s" % refusal.message) from None

    # -- verification --------------------------------------------------------

    def verify(self, limits, chid, value, status):
        verification = limits["verification"] if limits is not None else {"level": "none"}
        level = verification["level"]
        if level == "none":
            return {"level": level, "verified": None, "message": "no verification configured"}
        if level == "callback":
            confirmed = status == 1
            message = "the server confirmed the put" if confirmed else "the server did not confirm the put in time"
            return {"level": level, "verified": confirmed, "message": message}
        readback = self.ca.get(chid, timeout=READ_TIMEOUT_S)
        wanted, got = numbers_of(value), numbers_of(readback) if readback is not None else None
        if wanted is None or got is None or len(wanted) != len(got):
            same = readback is not None and _jsonable(readback) == _jsonable(value)
            return {"level": level, "verified": same, "readback": _jsonable(readback), "message": "readback %s %s the written value" % (_shown(readback), "equals" if same else "differs from")}
        if "tolerance_absolute" in verification:
            tolerance = verification["tolerance_absolute"]
        else:
            tolerance = max(abs(n) for n in wanted) * verification["tolerance_percent"] / 100.0
        difference = max(abs(a - b) for a, b in zip(wanted, got))
        verified = difference <= tolerance
        return {
            "level": level,
            "verified": verified,
            "readback": _jsonable(readback),
            "tolerance": tolerance,
            "message": "readback %s is %s of the written %s (tolerance %g)" % (_shown(readback), "within" if verified else "outside", _shown(value), tolerance),
        }

    # -- the guarded entry points --------------------------------------------

    def checked_put(self, put):
        guard = self

        def put_within_limits(chid, value, wait=False, timeout=30, callback=None, callback_data=None):
            pv = guard.ca.name(chid)
            try:
                limits, current = guard.check(pv, value, chid)
            except Refusal as refusal:
                guard.refuse(pv, value, "epics.ca.put", refusal)
            level = limits["verification"]["level"] if limits is not None else "none"
            status = guard.attempt(pv, value, "epics.ca.put", put, chid, value, wait=wait or level != "none", timeout=timeout, callback=callback, callback_data=callback_data)
            guard.written(pv, value, "epics.ca.put", limits, current, guard.verify(limits, chid, value, status))
            return status

        put_within_limits.__pyexec_limits__ = True
        return put_within_limits

    def checked_sg_put(self, sg_put):
        guard = self

        def sg_put_within_limits(gid, chid, value):
            pv = guard.ca.name(chid)
            try:
                limits, current = guard.check(pv, value, chid)
            except Refusal as refusal:
                guard.refuse(pv, value, "epics.ca.sg_put", refusal)
            status = guard.attempt(pv, value, "epics.ca.sg_put", sg_put, gid, chid, value)
            level = limits["verification"]["level"] if limits is not None else "none"
            unverified = {"level": level, "verified": None, "message": "a put in a synchronous group is not verified (it is sent when the group is)"}
            guard.written(pv, value, "epics.ca.sg_put", limits, current, unverified)
            return status

        sg_put_within_limits.__pyexec_limits__ = True
        return sg_put_within_limits

    def attempt(self, pv, value, name, function, *args, **kwargs):
        """The checked put itself (libca may be called inside it); a put that raises is recorded as failed."""
        self.state.inside = True
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            self.record(pv=pv, value=_jsonable(value), function=name, outcome="failed", limit=None, message="%s: %s" % (type(exc).__name__, exc))
            raise
        finally:
            self.state.inside = False

    def written(self, pv, value, function, limits, current, verification):
        extra = {"current": _jsonable(current)} if current is not None else {}
        self.record(pv=pv, value=_jsonable(value), function=function, outcome="written", limit=None,
                    message="written" if limits is not None else "written (unlisted channel, allowed without limits)",
                    verification=verification, **extra)

    def raw_put(self, name, function):
        guard = self

        def raw(*args):
            if getattr(guard.state, "inside", False):
                return function(*args)
            message = "libca's %s was called directly: its value cannot be checked against the channel limits (use epics.caput or PV.put)" % name
            guard.record(pv="", value=None, function="libca." + name, outcome="refused", limit="raw_put", message=message)
            raise ChannelLimitsViolation("channel limits: write refused: %s" % message)

        raw.__pyexec_limits__ = True
        return raw

    def guard_libca(self, libca):
        for name in RAW_PUTS:
            function = getattr(libca, name, None)
            if function is not None and not getattr(function, "__pyexec_limits__", False):
                setattr(libca, name, self.raw_put(name, function))

    def install(self):
        ca = self.ca
        if not getattr(ca.put, "__pyexec_limits__", False):
            ca.put = self.checked_put(ca.put)
        if not getattr(ca.sg_put, "__pyexec_limits__", False):
            ca.sg_put = self.checked_sg_put(ca.sg_put)
        initialize = ca.initialize_libca
        guard = self

        def initialize_then_guard():
            libca = initialize()
            guard.guard_libca(libca)
            return libca

        ca.initialize_libca = initialize_then_guard
        if ca.libca is not None:
            self.guard_libca(ca.libca)


def _missing(path):
    reason = "this attempt's limits (%s) are not in its folder" % path
    return Limits({"policy": "deny_unlisted", "unavailable": reason})


def install(folder, attempt, text=None):
    """Checks every pyepics write of this attempt against its limits: `text`
    (what a sandboxed run is handed, its staging folder having no copy), or
    the attempt's limits file. Without either: no limits database is
    configured - unless the executor said one is (PYEXEC_CHANNEL_LIMITS=required
    in the mode's environment), and then every write is refused. Returns
    whether limits are enforced."""
    path = os.path.join(folder, LIMITS_FILE % attempt)
    if text is not None:
        limits = Limits(json.loads(text))
    elif os.path.exists(path):
        with open(path, "r", encoding="utf-8") as handle:
            limits = Limits(json.load(handle))
    elif os.environ.get(REQUIRED_VARIABLE) == "required":
        limits = _missing(path)
    else:
        return False
    try:
        import epics.ca as ca
    except ImportError:
        return True  # no pyepics in this kernel: nothing of it can write
    Guard(limits, os.path.join(folder, EVENTS_FILE % attempt), ca).install()
    return True
