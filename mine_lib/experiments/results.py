"""Each chapter's headline numbers, written to $MINE_RESULTS_DIR/<chapter>.json.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from . import profiles


def results_dir() -> Path:
    """$MINE_RESULTS_DIR, else _build/results beside the book's _config.yml (or the cwd)."""
    env = os.environ.get("MINE_RESULTS_DIR")
    if env:
        return Path(env)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "_config.yml").exists():
            return folder / "_build" / "results"
    return here / "_build" / "results"


def _plain(value):
    """JSON-friendly copies of numpy and torch values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, torch.Tensor):
        return _plain(value.detach().cpu().numpy())
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def save_results(chapter: str, results: dict, *, dataset: str | None = None, seeds=None) -> Path:
    """Write the chapter's numbers with the context needed to compare two runs."""
    record = {
        "chapter": chapter,
        "profile": profiles.current(),
        "dataset": dataset,
        "seeds": _plain(seeds),
        "mine_lib_version": __version__,
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "results": _plain(results),
    }
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{chapter}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2))
    os.replace(tmp, path)
    return path
