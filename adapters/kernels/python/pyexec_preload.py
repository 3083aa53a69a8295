"""The heavy modules imported once per interpreter, so that executions start warm."""

import gc
import sys

from pyexec_figures import render_probe_figure

HEAVY_MODULES = ("numpy", "pandas", "matplotlib")


def preload():
    """Imports the heavy modules once, so children start warm."""
    for name in HEAVY_MODULES:
        try:
            __import__(name)
        except ImportError:
            continue
    if "matplotlib" in sys.modules:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401 - preloaded for the children
    render_probe_figure()
    # Preloaded objects move to the permanent generation: a collection in a
    # child does not touch them, so their pages stay shared (copy-on-write).
    gc.collect()
    gc.freeze()
