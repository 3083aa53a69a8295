"""``context``: the execution's context.json, as the code sees it (``context.beam.current``)."""

import builtins
import os

from pyexec_json import private_json


class AttrDict(dict):
    """A dict whose keys are also attributes: ``context.beam.current``."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError("context has no key %r" % name) from None

    def __setattr__(self, name, value):
        self[name] = value


def _attr_hook(pairs):
    return AttrDict(pairs)


def load_context(folder):
    """context.json of the execution folder, or an empty context."""
    path = os.path.join(folder, "context.json")
    if not os.path.exists(path):
        return AttrDict()
    with open(path, "r", encoding="utf-8") as handle:
        loaded = private_json.load(handle, object_pairs_hook=_attr_hook)
    return loaded if isinstance(loaded, AttrDict) else AttrDict(value=loaded)


def prepare_namespace(folder):
    """The globals generated code runs in: ``context`` and an empty ``results``."""
    return {"__name__": "__main__", "__builtins__": builtins, "context": load_context(folder)}
