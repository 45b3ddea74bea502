"""Run profiles: one code path, three sizes. Chosen with the MINE_PROFILE variable.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import os
import time

from ..errors import InputError

PROFILES = ("smoke", "standard", "paper")
DEFAULT = "standard"
STARTED: float | None = None  # time.time() of the last announce(): a chapter's wall time starts here


def current() -> str:
    """The active profile name (MINE_PROFILE, default 'standard')."""
    name = os.environ.get("MINE_PROFILE", DEFAULT).strip().lower() or DEFAULT
    if name not in PROFILES:
        raise InputError(f"MINE_PROFILE={name!r} is not a profile; use one of {', '.join(PROFILES)}")
    return name


def choose(smoke, standard, paper):
    """The value for the active profile."""
    return {"smoke": smoke, "standard": standard, "paper": paper}[current()]


def announce(chapter: str) -> str:
    """Print and return the line every chapter starts with."""
    global STARTED
    STARTED = time.time()
    line = f"[{chapter}] running with profile '{current()}' (MINE_PROFILE = smoke | standard | paper)"
    print(line)
    return line
