"""matplotlib figures: the open ones saved as the execution's figures, and a probe drawn at preload."""

import io
import os
import sys


def save_figures(folder, attempt):
    """Saves and closes every open matplotlib figure; returns their paths."""
    if "matplotlib.pyplot" not in sys.modules:
        return []
    plt = sys.modules["matplotlib.pyplot"]
    numbers = plt.get_fignums()
    if not numbers:
        return []
    figures_dir = os.path.join(folder, "figures")
    os.makedirs(figures_dir, exist_ok=True)
    paths = []
    for index, number in enumerate(numbers, start=1):
        path = os.path.join(figures_dir, "attempt_%02d_figure_%02d.png" % (attempt, index))
        plt.figure(number).savefig(path, format="png")
        paths.append(path)
    plt.close("all")
    return paths


def render_probe_figure():
    """Draws and encodes a small figure: loads fonts and the Agg paths code will use."""
    if "matplotlib.pyplot" not in sys.modules:
        return
    plt = sys.modules["matplotlib.pyplot"]
    figure = plt.figure()
    axes = figure.gca()
    axes.plot([0, 1], [0, 1], label="probe")
    axes.set_title("probe")
    axes.legend()
    figure.savefig(io.BytesIO(), format="png")
    plt.close("all")
