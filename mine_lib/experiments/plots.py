"""The book's shared figure style.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns

PALETTE = "colorblind"


def use_book_style() -> None:
    """One look for every chapter's figures."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "axes.titlesize": "medium",
                         "figure.autolayout": True})


def method_colors(names) -> dict:
    """A stable colour per method name."""
    colors = sns.color_palette(PALETTE, n_colors=max(len(names), 3))
    return dict(zip(names, colors))
