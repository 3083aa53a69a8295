"""A json package of pyexec's own, apart from the one generated code can monkeypatch."""

import importlib
import sys


def load_private_json():
    """A json package of our own, loaded apart from sys.modules["json"].

    The code runs in this interpreter and may monkeypatch json.dumps,
    json.JSONEncoder or json.encoder; results.json and the report must not
    care. Binding json.dumps is not enough: it calls into json.encoder, which
    is shared, so the submodules are loaded afresh too."""
    shared = {name: sys.modules.pop(name) for name in list(sys.modules) if name == "json" or name.startswith("json.")}
    try:
        return importlib.import_module("json")
    finally:
        for name in [name for name in sys.modules if name == "json" or name.startswith("json.")]:
            del sys.modules[name]
        sys.modules.update(shared)


private_json = load_private_json()
