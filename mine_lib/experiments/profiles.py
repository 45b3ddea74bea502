"""Run profiles: one code path, four sizes. Chosen with the MINE_PROFILE variable.

smoke (CI, under 60 s a notebook), standard (``make book``), long (recorded runs of the
application chapters, about 90 min for the three on a 2-core CPU) and paper (a GPU).
Each chapter's sizes per profile are in ``settings.py``; a chapter that gives no ``long``
size runs its standard size in the long profile.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import os
import time

from ..errors import InputError

PROFILES = ("smoke", "standard", "long", "paper")
DEFAULT = "standard"
STARTED: float | None = None  # time.time() of the last announce(): a chapter's wall time starts here
CPU_STARTED: float | None = None  # time.process_time() then: its CPU time starts here


def current() -> str:
    """The active profile name (MINE_PROFILE, default 'standard')."""
    name = os.environ.get("MINE_PROFILE", DEFAULT).strip().lower() or DEFAULT
    if name not in PROFILES:
        raise InputError(f"MINE_PROFILE={name!r} is not a profile; use one of {', '.join(PROFILES)}")
    return name


def announce(chapter: str) -> str:
    """Start the chapter's clocks and return a line naming its profile. Nothing is printed:
    the page says which profile ran in its run box, not in a banner."""
    global STARTED, CPU_STARTED
    STARTED, CPU_STARTED = time.time(), time.process_time()
    return f"[{chapter}] running with profile '{current()}' (MINE_PROFILE = smoke | standard | long | paper)"
