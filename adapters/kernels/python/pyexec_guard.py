"""The read-only guard for control-system writes: an early, friendly refusal with a
clear message. It is not the boundary (code in this interpreter can remove
any Python-level guard); the sandbox's network policy is (docs/isolation.md)."""

import sys


class ControlSystemWriteRefused(PermissionError):
    """Raised by a control-system write in a read-only execution."""


def _refusing(qualified_name):
    def refuse(*args, **kwargs):
        shown = ", ".join([repr(a) for a in args[:2]] + ["%s=%r" % kv for kv in list(kwargs.items())[:2]])
        raise ControlSystemWriteRefused(
            "control-system write refused: %s(%s) in a read-only execution "
            "(this mode does not allow writes; ask for a write-access execution with approval)"
            % (qualified_name, shown)
        )

    refuse.__name__ = qualified_name.rsplit(".", 1)[-1]
    refuse.__pyexec_guard__ = True
    return refuse


# module name -> functions to replace; classes with a `put` method are found by scan.
_GUARDED_FUNCTIONS = {
    "epics": ("caput", "caput_many"),
    "epics.ca": ("put", "array_put", "sg_put"),
    "epics.pv": ("caput",),
}
# libca entry points that write (ca_array_put, ca_array_put_callback, ca_sg_array_put, ...).
_LIBCA_WRITE_MARK = "put"


class _GuardedLibca:
    """epics.ca.libca with its write entry points refused; reads pass through."""

    def __init__(self, library):
        object.__setattr__(self, "_library", library)

    def __getattr__(self, name):
        if _LIBCA_WRITE_MARK in name.lower():
            return _refusing("epics.ca.libca.%s" % name)
        return getattr(object.__getattribute__(self, "_library"), name)

    def __setattr__(self, name, value):
        setattr(object.__getattribute__(self, "_library"), name, value)


def _guard_libca(ca):
    """Wraps the loaded libca, and initialize_libca so that a later load is wrapped too."""
    library = getattr(ca, "libca", None)
    if library is not None and not isinstance(library, _GuardedLibca):
        ca.libca = _GuardedLibca(library)
    initialize = getattr(ca, "initialize_libca", None)
    if callable(initialize) and not getattr(initialize, "__pyexec_guard__", False):

        def initialize_guarded(*args, **kwargs):
            result = initialize(*args, **kwargs)
            _guard_libca(ca)
            return ca.libca

        initialize_guarded.__pyexec_guard__ = True
        ca.initialize_libca = initialize_guarded


def _guard_module(name, module):
    for attr in _GUARDED_FUNCTIONS.get(name, ()):
        current = getattr(module, attr, None)
        if callable(current) and not getattr(current, "__pyexec_guard__", False):
            setattr(module, attr, _refusing("%s.%s" % (name, attr)))
    for attr, value in list(vars(module).items()):
        # Only epics' own classes (PV, Device, Motor...): an imported queue.Queue keeps its put.
        is_epics_class = isinstance(value, type) and str(getattr(value, "__module__", "")).split(".")[0] == "epics"
        put = getattr(value, "put", None) if is_epics_class else None
        if callable(put) and not getattr(put, "__pyexec_guard__", False):
            setattr(value, "put", _refusing("%s.%s.put" % (name, attr)))
    if name == "epics.ca":
        _guard_libca(module)


def _guard_loaded_modules():
    # A submodule is never loaded without its package. Looking first keeps a
    # forked child from walking (and so copying the pages of) every module.
    if "epics" not in sys.modules:
        return
    for name, module in list(sys.modules.items()):
        if module is not None and (name == "epics" or name.startswith("epics.")):
            _guard_module(name, module)


class _GuardingLoader:
    """Wraps the real loader of an epics module and guards it once executed."""

    def __init__(self, inner):
        self._inner = inner

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        _guard_loaded_modules()

    def __getattr__(self, name):
        return getattr(self._inner, name)


class _WriteGuardFinder:
    """Meta-path finder: whichever `epics` is installed, it is guarded when imported."""

    def find_spec(self, name, path=None, target=None):
        if name != "epics" and not name.startswith("epics."):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _GuardingLoader(spec.loader)
                return spec
        return None


def install_write_guard():
    """Makes the pyepics write surface raise ControlSystemWriteRefused: caput,
    caput_many, PV.put (and any epics class's put), ca.put, ca.sg_put and the
    write entry points of ca.libca. The friendly refusal, not the boundary."""
    if not any(isinstance(finder, _WriteGuardFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _WriteGuardFinder())
    _guard_loaded_modules()
