"""The rule of evidence: measurements in, decisions and the sentences that state them out.

Layer: the book's experiments (imports numpy and scipy only). Every chapter turns its
outcomes into words here, so a sentence changes when the numbers do.

Decisions (rule 2; ``RULE``)
    ``Decision`` (frozen) is data first: ``kind`` (a ``Kind``: agrees, smaller effect,
    disagrees, not measurable, inconclusive, not tested), ``direction`` (a ``Direction`` for a
    directional claim: the paper's, opposite, not measured), ``size`` (a ``Size`` against the
    effect to detect: consistent, smaller, larger), ``estimate``, ``ci``, ``level``, ``n``,
    ``p``, ``effect`` (the signed effect to detect), ``detectable`` (the difference found
    with 80 % power), ``fragile`` (an interval end within a hair of a threshold); then
    ``status``, the finer reason ("measured", "measured, smaller", "effect ruled out",
    "equivalent", "underpowered", "untestable", "one seed, no spread", "nan", "baseline did
    not train", "within tolerance", ...), and ``sentence``, one plain sentence to glue.
    ``measured`` is True when a difference's interval excludes zero (or a tolerance decided);
    ``decided`` when the kind is agrees, smaller effect or disagrees. ``read_difference`` is
    the decision without words; the sentences are written apart from it.

Rules
    ``difference(a, b, *, paired, names, what, unit, level, higher_is_better, expected,
    smallest_effect)``: mean of a - b (of the pairs when ``paired``; Welch otherwise) with a
    t interval. ``expected`` is the claimed direction ("a>b", "a<b"), "a=b", or None ("A and
    B differ"). Direction and size are read apart: the opposite direction measured
    disagrees; the claimed direction measured agrees unless the whole interval falls short of
    ``smallest_effect`` (the paper's effect carried over, or a declared smallest effect of
    interest), which is "smaller effect"; an interval holding zero that rules out that effect
    is "smaller effect" too (whatever the effect, it is smaller), otherwise not measurable,
    and the sentence says what the interval rules out and the effect a run of this size
    finds 4 times in 5. "a=b" with a margin: inside it agrees (equivalence), wholly outside
    disagrees. One seed: "one seed, no spread". Nothing to compare: "not tested in this run".
    A NaN anywhere: "nan", no verdict.
    ``tracks_truth(estimates, truth, tol, *, relative, exact, per)``: the interval of the
    mean error inside +-tol agrees; wholly outside disagrees; across the edge is not
    measurable. ``interval_within`` and ``agrees_with_paper`` apply the same rule to an
    interval computed elsewhere and to the paper's number. ``from_interval`` applies the
    rule of ``difference`` to a difference whose interval was computed elsewhere.
    ``paper_effect(paper_new, paper_base, this_base, perfect, *, same_units)``: the paper's
    effect carried over to this run, for ``smallest_effect``.
    ``holds_everywhere(failures, total, what)``: a property checked exactly on finite cases.
    ``holm(decisions or p-values, level)``: Holm's correction for one table's comparisons;
    a family whose comparisons have two seeds or fewer is reported untestable per item.
    ``baseline_trained`` and ``gate``: a comparison against a baseline that did not train is
    inconclusive.

Text and scorecard
    ``fmt_mean_ci(values)`` and ``fmt_spread(values)`` never print "+- 0.000" for one seed;
    ``fmt_num(x)`` formats one number; ``t_interval(values)`` is (mean, low, high).
    ``claim(chapter, claim, paper, decision, this_run, seeds, source)`` is one scorecard row
    (``chapter``, ``claim``, ``paper``, ``this_run``, ``seeds``, ``decision``, ``status``,
    ``sentence``, ``source``, ``rule``, ``direction``, ``size``, ``effect``, ``detectable``,
    ``fragile``); chapters put a list of them under ``"claims"`` in the dict they pass to
    ``results.save_results``. ``seeds`` is "exact" for checks with no sampling noise.
    ``reread(row)`` reads a row of an older rule in this rule's words. ``scorecard``
    gathers the rows of a results folder.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Sequence

import numpy as np
from scipy import optimize, stats

# The version of the rule that decided a claim row; the scorecard re-reads rows of older
# rules (recordings) with ``reread``.
RULE = 2


class _Word(str, Enum):
    """A word of the rule: a str, so it compares, prints and serialises as its text."""

    def __str__(self) -> str:
        return self.value


class Kind(_Word):
    """The scorecard's word for a claim."""

    AGREES = "agrees"
    SMALLER = "smaller effect"      # the paper's effect ruled out; in its direction or none
    DISAGREES = "disagrees"         # the opposite measured, or a stated tolerance violated
    UNDECIDED = "not measurable"    # this run cannot tell (says what it rules out)
    INCONCLUSIVE = "inconclusive"   # NaN, or a baseline that did not train
    NOT_TESTED = "not tested"

    @property
    def decided(self) -> bool:
        """A decision about the claim: agrees, smaller effect or disagrees."""
        return self in (Kind.AGREES, Kind.SMALLER, Kind.DISAGREES)


class Direction(_Word):
    """A directional claim's direction as measured: the paper's, the opposite, or neither."""

    PAPERS = "the paper's"
    OPPOSITE = "opposite"
    NOT_MEASURED = "not measured"


class Size(_Word):
    """An effect's size against the effect to detect (the paper's, scaled, or a margin)."""

    CONSISTENT = "consistent"
    SMALLER = "smaller"
    LARGER = "larger"


KINDS = tuple(k.value for k in Kind)
READS = ("table", "figure, read by eye", "text", "closed form")


@dataclass(frozen=True)
class Decision:
    """One outcome as data (kind, direction, size, numbers) and the sentence that says it."""

    kind: Kind
    status: str
    sentence: str
    estimate: float = math.nan
    ci: tuple[float, float] | None = None
    level: float = 0.95
    n: int = 0
    p: float | None = None
    redo: dict | None = field(default=None, repr=False, compare=False)  # inputs, for holm()
    direction: Direction | None = None
    size: Size | None = None
    effect: float | None = None      # the signed effect to detect, when one was given
    detectable: float = math.nan     # the difference found 4 times in 5 (80 % power)
    fragile: bool = False            # an interval end within a hair of a threshold

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {self.kind!r}")
        object.__setattr__(self, "kind", Kind(self.kind))

    @property
    def measured(self) -> bool:
        """A difference: its interval excludes zero. Any other rule: it decided."""
        if self.ci is not None and self.status not in ("within tolerance", "outside tolerance"):
            return self.ci[0] > 0 or self.ci[1] < 0
        return self.kind.decided

    @property
    def decided(self) -> bool:
        return self.kind.decided

    @property
    def effect_excluded(self) -> bool:
        """True when the interval rules out the effect to detect on the paper's side."""
        return self.size == Size.SMALLER

    def as_dict(self) -> dict:
        return {
            "kind": self.kind.value, "status": self.status, "sentence": self.sentence,
            "estimate": _json_float(self.estimate),
            "ci": None if self.ci is None else [_json_float(c) for c in self.ci],
            "level": self.level, "n": self.n, "p": _json_float(self.p),
            "direction": None if self.direction is None else self.direction.value,
            "size": None if self.size is None else self.size.value,
            "effect": _json_float(self.effect), "detectable": _json_float(self.detectable),
            "fragile": self.fragile,
        }

    def __str__(self) -> str:
        return self.sentence


def _json_float(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# ---------------------------------------------------------------- numbers as text

def fmt_num(x, digits: int = 3) -> str:
    """A number for prose: fixed decimals in the usual range, else significant digits."""
    if x is None:
        return "n/a"
    x = float(x)
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        return f"{x:.{digits}f}"
    return f"{x:.{digits}g}"


def _values(values) -> np.ndarray:
    if values is None:
        return np.array([], dtype=float)
    return np.atleast_1d(np.asarray(values, dtype=float)).ravel()


def _seeds(n: int, per: str = "seed") -> str:
    return f"{n} {per}" if n == 1 else f"{n} {per}s"


def _lower_first(text: str) -> str:
    """'The slope' -> 'the slope' inside a sentence (leaves 'MINE', 'KSG' alone)."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _pct(level: float) -> str:
    return f"{100 * level:g}%"


def t_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of a t interval for the mean; needs two or more finite values."""
    v = _values(values)
    if v.size < 2 or not np.all(np.isfinite(v)):
        raise ValueError("a t interval needs two or more finite values")
    mean = float(v.mean())
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return mean, mean - half, mean + half


def _no_spread_text(v: np.ndarray, digits: int, u: str) -> str | None:
    """The text for values that have no spread to show (none, a NaN, one seed), else None."""
    if v.size == 0:
        return "not tested in this run"
    if not np.all(np.isfinite(v)):
        return "nan (no verdict)"
    if v.size == 1:
        return f"{fmt_num(v[0], digits)}{u} (one seed, no spread)"
    return None


def fmt_mean_ci(values, digits: int = 3, level: float = 0.95, unit: str = "") -> str:
    """'0.856 (95% CI 0.801 to 0.911, 5 seeds)'; one seed says so instead of an interval."""
    v = _values(values)
    u = f" {unit}" if unit else ""
    if (text := _no_spread_text(v, digits, u)) is not None:
        return text
    mean, low, high = t_interval(v, level)
    return (f"{fmt_num(mean, digits)}{u} ({_pct(level)} CI {fmt_num(low, digits)} to "
            f"{fmt_num(high, digits)}, {_seeds(v.size)})")


def fmt_spread(values, digits: int = 3, unit: str = "") -> str:
    """'0.856 ± 0.012 (sd over 5 seeds)'; one seed gives '0.856 (one seed, no spread)'."""
    v = _values(values)
    u = f" {unit}" if unit else ""
    if (text := _no_spread_text(v, digits, u)) is not None:
        return text
    return f"{fmt_num(v.mean(), digits)} ± {fmt_num(v.std(ddof=1), digits)}{u} (sd over {_seeds(v.size)})"


# ---------------------------------------------------------------- the non-verdicts

def not_tested(what: str = "this comparison") -> Decision:
    """Nothing of that kind in this run."""
    return Decision("not tested", "not tested in this run",
                    f"Not tested in this run: {what} had nothing to measure.", n=0)


def _nan(what: str, n: int, level: float) -> Decision:
    return Decision("inconclusive", "nan",
                    f"No verdict on {_lower_first(what)}: the run gave NaN.", n=n, level=level)


# ---------------------------------------------------------------- difference of two methods

def _difference_stats(a: np.ndarray, b: np.ndarray, paired: bool, level: float):
    """(estimate, low, high, p, n, se, df); low/high/p/se are NaN without a spread to use."""
    if paired:
        d = a - b
        n = d.size
        est = float(d.mean())
        if n < 2:
            return est, math.nan, math.nan, math.nan, n, math.nan, math.nan
        se = float(d.std(ddof=1) / math.sqrt(n))
        df = n - 1
    else:
        n = min(a.size, b.size)
        est = float(a.mean() - b.mean())
        if n < 2:
            return est, math.nan, math.nan, math.nan, n, math.nan, math.nan
        va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
        se = float(math.sqrt(va + vb))
        df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1)) if se > 0 else n - 1
    if se == 0:
        return est, est, est, (1.0 if est == 0 else 0.0), n, se, df
    half = float(stats.t.ppf(0.5 + level / 2, df) * se)
    p = float(2 * stats.t.sf(abs(est) / se, df))
    return est, est - half, est + half, p, n, se, df


def difference(a, b, *, paired: bool, names: Sequence[str] = ("A", "B"),
               what: str = "the estimate", unit: str = "", level: float = 0.95,
               higher_is_better: bool | None = True, expected: str | None = None,
               smallest_effect: float | None = None, digits: int = 3,
               per: str = "seed") -> Decision:
    """Decide whether ``a`` and ``b`` (one value per seed) differ; see the module docstring.
    ``per`` names what the values are per ("seed"; "task" for a benchmark's tasks).

    ``paired``: the i-th values of ``a`` and ``b`` share a seed (same data, same init); then
    the interval is on the mean of the pairwise differences. ``higher_is_better=None``
    leaves "better" out of the sentence.
    """
    if expected not in (None, "a>b", "a<b", "a=b"):
        raise ValueError(f"expected must be 'a>b', 'a<b', 'a=b' or None; got {expected!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1); got {level}")
    if smallest_effect is not None and not smallest_effect > 0:
        raise ValueError(f"smallest_effect must be positive; got {smallest_effect}")
    va, vb = _values(a), _values(b)
    name_a, name_b = names
    topic = f"{name_a} against {name_b} ({what})"
    if paired and va.size != vb.size:
        raise ValueError(f"paired runs need as many values of {name_a} as of {name_b}; "
                         f"got {va.size} and {vb.size}")
    if va.size == 0 or vb.size == 0:
        return not_tested(topic)
    redo = dict(a=va, b=vb, paired=paired, names=tuple(names), what=what, unit=unit,
                higher_is_better=higher_is_better, expected=expected,
                smallest_effect=smallest_effect, digits=digits)
    n_pairs = va.size if paired else min(va.size, vb.size)
    if not (np.all(np.isfinite(va)) and np.all(np.isfinite(vb))):
        return _nan(topic, n_pairs, level)
    est, low, high, p, n, se, df = _difference_stats(va, vb, paired, level)
    over = (f"paired over {_seeds(n, per)}" if paired
            else f"{_seeds(va.size, per)} against {_seeds(vb.size, per)}")
    return _decide(est, low, high, p, n, over=over, names=names, what=what, unit=unit,
                   level=level, higher_is_better=higher_is_better, expected=expected,
                   smallest_effect=smallest_effect, digits=digits, redo=redo,
                   detectable=detectable_effect(se, df, level))


def from_interval(estimate: float, ci, *, n: int, how: str, names: Sequence[str] = ("A", "B"),
                  what: str = "the estimate", unit: str = "", level: float = 0.95,
                  higher_is_better: bool | None = True, expected: str | None = None,
                  smallest_effect: float | None = None, p: float | None = None,
                  digits: int = 3) -> Decision:
    """The rule of ``difference`` for a difference A - B whose interval was computed
    elsewhere (``how`` says how, e.g. "normal interval from the noise floors"). ``ci=None``
    with n = 1 is one seed, no spread; n = 0 is not tested."""
    if expected not in (None, "a>b", "a<b", "a=b"):
        raise ValueError(f"expected must be 'a>b', 'a<b', 'a=b' or None; got {expected!r}")
    topic = f"{names[0]} against {names[1]} ({what})"
    if n == 0:
        return not_tested(topic)
    values = [estimate] + ([] if ci is None else list(ci))
    if not all(math.isfinite(float(v)) for v in values):
        return _nan(topic, n, level)
    low, high = (math.nan, math.nan) if ci is None else (float(ci[0]), float(ci[1]))
    if ci is None:
        n = 1
    se = (high - low) / 2 / float(stats.norm.ppf(0.5 + level / 2))  # a normal interval's
    return _decide(float(estimate), low, high, p, n, over=how, names=names, what=what,
                   unit=unit, level=level, higher_is_better=higher_is_better,
                   expected=expected, smallest_effect=smallest_effect, digits=digits,
                   redo=None, detectable=detectable_effect(se, 1e6, level))


def _direction(low: float, high: float, expected: str | None) -> str | None:
    """The direction reading of an interval for a directional claim ("a>b", "a<b"): the
    paper's, opposite, or not measured (the interval holds zero); None without a direction."""
    if expected not in ("a>b", "a<b"):
        return None
    if not (low > 0 or high < 0):
        return Direction.NOT_MEASURED
    return Direction.PAPERS if (low > 0) == (expected == "a>b") else Direction.OPPOSITE


def _size(low: float, high: float, effect: float | None, expected: str | None) -> str | None:
    """The size reading against the effect to detect, on the paper's side: the interval wholly
    below it (smaller), wholly above it (larger), or around it (consistent); None without an
    effect or a direction."""
    if effect is None or expected not in ("a>b", "a<b"):
        return None
    sign = 1 if expected == "a>b" else -1
    lo, hi = sorted((sign * low, sign * high))
    if hi < effect:
        return Size.SMALLER
    if lo > effect:
        return Size.LARGER
    return Size.CONSISTENT


def read_difference(low: float, high: float, expected: str | None,
                    smallest_effect: float | None) -> tuple[Kind, str, str | None, str | None]:
    """Numbers to a decision, no words: (kind, status, direction, size) for a difference
    A - B whose interval is (low, high).

    With a direction ("a>b", "a<b"): the opposite direction measured disagrees; the paper's
    direction measured agrees, unless the interval lies wholly short of the effect to detect
    (then "smaller effect"); no direction measured is undecided, unless the interval rules
    out the effect to detect ("smaller effect": whatever the effect is, it is smaller).
    "a=b" with a margin (``smallest_effect``): the interval inside +-margin agrees
    (equivalence), wholly outside disagrees. No claim of direction ("A and B differ"): a
    difference measured agrees, an interval inside +-margin disagrees."""
    excludes_zero = low > 0 or high < 0
    if expected in ("a>b", "a<b"):
        direction = _direction(low, high, expected)
        size = _size(low, high, smallest_effect, expected)
        if direction == Direction.OPPOSITE:
            return Kind.DISAGREES, "measured, opposite direction", direction, size
        if size == Size.SMALLER:
            status = "measured, smaller" if direction == Direction.PAPERS else "effect ruled out"
            return Kind.SMALLER, status, direction, size
        if direction == Direction.PAPERS:
            return Kind.AGREES, "measured", direction, size
        status = "underpowered" if smallest_effect is not None else "no effect shown"
        return Kind.UNDECIDED, status, direction, size
    inside = smallest_effect is not None and -smallest_effect < low and high < smallest_effect
    outside = smallest_effect is not None and (low > smallest_effect or high < -smallest_effect)
    if expected == "a=b":
        if inside:
            return Kind.AGREES, "equivalent", None, None
        if outside or (smallest_effect is None and excludes_zero):
            return Kind.DISAGREES, "measured", None, None
        return Kind.UNDECIDED, "underpowered" if smallest_effect is not None else "no effect shown", None, None
    if excludes_zero:
        return Kind.AGREES, "measured", None, None
    if inside:
        return Kind.DISAGREES, "equivalent", None, None
    return Kind.UNDECIDED, "underpowered" if smallest_effect is not None else "no effect shown", None, None


def detectable_effect(se: float, df: float, level: float = 0.95, power: float = 0.8) -> float:
    """The true difference a two-sided t test at ``level`` detects with probability ``power``
    when the standard error is ``se`` with ``df`` degrees of freedom (the noncentral t)."""
    if not (se > 0 and df > 0 and math.isfinite(se)):
        return math.nan
    crit = float(stats.t.ppf(0.5 + level / 2, df))
    if df > 1000:  # a normal interval
        return float((stats.norm.ppf(0.5 + level / 2) + stats.norm.ppf(power)) * se)

    def short(ncp):  # detection probability (the far tail is negligible) minus the power
        return float(np.nan_to_num(stats.nct.sf(crit, df, ncp), nan=1.0)) - power

    hi = crit + 10.0
    while short(hi) < 0:
        hi *= 2
    return float(optimize.brentq(short, 0.0, hi, xtol=1e-6) * se)


FRAGILE = 0.05  # an interval end this share of its width from a threshold makes it fragile


def fragile(low: float, high: float, thresholds) -> bool:
    """Does an end of the interval (low, high) lie within ``FRAGILE`` of its width of one of
    the ``thresholds`` (zero, the effect to detect, a tolerance's edges)? Then a rerun with
    other seeds may well decide otherwise, and the sentence says so."""
    width = high - low
    if not (width > 0 and math.isfinite(width)):
        return False
    return any(min(abs(low - t), abs(high - t)) < FRAGILE * width
               for t in thresholds if t is not None and math.isfinite(t))


def _fragile_text(decision: Decision) -> Decision:
    """The decision with its sentence marked fragile when it is."""
    if not decision.fragile:
        return decision
    return dataclasses.replace(decision, sentence=decision.sentence[:-1] + (
        " (fragile: an end of the interval lies within a hair of the threshold, so a rerun "
        "may decide otherwise)."))


def _decide(est, low, high, p, n, *, over, names, what, unit, level, higher_is_better,
            expected, smallest_effect, digits, redo, detectable=math.nan) -> Decision:
    """Turn a difference and its interval into a decision (``read_difference``) and its
    sentence (``_difference_sentence``)."""
    name_a, name_b = names
    u = f" {unit}" if unit else ""
    f = lambda x: fmt_num(x, digits)  # noqa: E731
    effect = None if smallest_effect is None else _signed_effect(smallest_effect, expected)
    if n < 2:
        return Decision(Kind.UNDECIDED, "one seed, no spread",
                        f"{name_a} minus {name_b} in {what} is {f(est)}{u} from one seed, "
                        f"no spread, so no verdict.", estimate=est, level=level, n=n, redo=redo,
                        effect=effect)
    kind, status, direction, size = read_difference(low, high, expected, smallest_effect)
    ci = (low, high)
    interval = f"{_pct(level)} CI {f(low)} to {f(high)}{u}, {over}"
    excludes_zero = low > 0 or high < 0
    if excludes_zero:
        higher = est > 0
        side = "higher" if higher else "lower"
        better = ""
        if higher_is_better is not None:
            better = ", which is better" if higher == higher_is_better else ", which is worse"
        sentence = (f"{name_a} is {side} than {name_b} in {what} by {f(abs(est))}{u} "
                    f"({interval}){better}")
        if direction == Direction.OPPOSITE:
            sentence += ", the opposite of the claimed direction"
        if size == Size.SMALLER:
            sentence += (f"; the whole interval falls short of the effect to detect, "
                         f"{f(effect)}{u}, so the effect here is smaller than that")
        elif status == "equivalent" or (expected == "a=b" and kind == Kind.AGREES):
            sentence += f"; the whole interval lies inside the margin of ±{f(smallest_effect)}{u}"
        return _fragile_text(Decision(
            kind, status, sentence + ".", est, ci, level, n, p, redo, direction=direction,
            size=size, effect=effect, detectable=detectable,
            fragile=fragile(low, high, (0.0, effect, smallest_effect and -smallest_effect))))
    shown = (f"No difference shown between {_lower_first(name_a)} and {name_b} in {what}: "
             f"{f(est)}{u} ({interval})")
    if kind == Kind.SMALLER:
        sentence = (f"{shown}; the interval rules out an effect of {f(effect)}{u}, so the "
                    f"effect here, if any, is smaller than that.")
    elif status == "equivalent":
        sentence = (f"{shown}; the whole interval lies inside the margin of "
                    f"±{f(smallest_effect)}{u}, so any difference is smaller than that.")
    else:
        sentence = f"{shown}; the interval rules out only differences beyond {f(low)} to {f(high)}{u}"
        if math.isfinite(detectable):
            sentence += (f", and a difference of {f(detectable)}{u} would be found 4 times in 5 "
                         f"at this budget")
        if effect is not None:
            sentence += f"; the effect to detect is {f(effect)}{u}"
        sentence += "."
    return _fragile_text(Decision(
        kind, status, sentence, est, ci, level, n, p, redo, direction=direction, size=size,
        effect=effect, detectable=detectable,
        fragile=fragile(low, high, (0.0, effect, smallest_effect and -smallest_effect))))


def paper_effect(paper_new: float, paper_base: float, this_base: float, perfect: float, *,
                 same_units: bool = False) -> float:
    """The paper's effect carried over to this run, for ``smallest_effect`` (a size, > 0).

    The share of its baseline's distance to a perfect score (0 for an error, 100 for a
    percent accuracy, 1 for a similarity) that the paper's new model closes, times this run's
    baseline's distance: error 1.38 -> 1.01 closes 26.8 % of the way to 0, so on a baseline
    at 10 % here the effect is 2.68 points. With ``same_units`` (the measure means the same
    here and in the paper, e.g. a percent accuracy) the smaller of that and the paper's
    difference as it stands, so that an effect is refuted only when both readings of the
    paper's size are excluded."""
    values = (paper_new, paper_base, this_base, perfect)
    if not all(isinstance(v, (int, float, np.floating)) and math.isfinite(v) for v in values):
        raise ValueError(f"paper_effect needs finite numbers; got {values}")
    if paper_base == perfect:
        raise ValueError("the paper's baseline is already perfect; its effect cannot be scaled")
    share = abs(paper_new - paper_base) / abs(perfect - paper_base)
    effect = share * abs(perfect - this_base)
    if same_units:
        effect = min(effect, abs(paper_new - paper_base))
    if not effect > 0:
        raise ValueError(f"the scaled effect is {effect}: the paper's two numbers are equal or "
                         f"this run's baseline is already perfect")
    return float(effect)


def _signed_effect(effect: float, expected: str | None) -> float:
    """The effect to detect with the sign of the expected direction (+ when none)."""
    return -effect if expected == "a<b" else effect


# ---------------------------------------------------------------- within a tolerance

def _within(values, target: float, tol: float, *, relative: bool, level: float, exact: bool,
            what: str, against: str, unit: str, digits: int, note: str = "",
            per: str = "seed") -> Decision:
    v = _values(values)
    if tol is None or not tol >= 0:
        raise ValueError(f"tol must be a non-negative number; got {tol}")
    if v.size == 0:
        return not_tested(what)
    target = float(target)
    if not (np.all(np.isfinite(v)) and math.isfinite(target)):
        return _nan(what, v.size, level)
    bound = tol * abs(target) if relative else tol
    u = f" {unit}" if unit else ""
    f = lambda x: fmt_num(x, digits)  # noqa: E731
    tol_text = (f"{100 * tol:g}% ({f(bound)}{u})" if relative else f"{f(bound)}{u}")
    err = v - target
    if exact or v.size == 1:
        est = float(v.mean())
        e = float(err.mean())
        if v.size == 1 and not exact:
            return Decision("not measurable", "one seed, no spread",
                            f"{what} is {f(est)}{u} against {against} {f(target)}{u}{note} "
                            f"from one {per}, no spread, so no verdict.", est, None, level, 1)
        inside = abs(e) <= bound
        kind, status = ("agrees", "within tolerance") if inside else ("disagrees", "outside tolerance")
        word = "within" if inside else "outside"
        return Decision(kind, status,
                        f"{what} is {f(est)}{u} against {against} {f(target)}{u}{note}, "
                        f"{word} the tolerance of {tol_text}.", est, None, level, v.size)
    mean, low, high = t_interval(v, level)
    e_low, e_high = low - target, high - target
    shown = (f"{what} is {f(mean)}{u} ({_pct(level)} CI {f(low)} to {f(high)}, "
             f"{_seeds(v.size, per)}) against {against} {f(target)}{u}{note}")
    kind, status, tail = _tolerance_verdict(e_low, e_high, bound, tol_text)
    return _fragile_text(Decision(kind, status, f"{shown}: {tail}.", mean, (low, high), level,
                                  v.size, fragile=fragile(e_low, e_high, (-bound, bound))))


def _tolerance_verdict(err_low: float, err_high: float, bound: float, tol_text: str):
    """(kind, status, tail) for an interval of the error against +-bound: inside agrees,
    wholly outside disagrees, across the edge is underpowered."""
    if -bound <= err_low and err_high <= bound:
        return "agrees", "within tolerance", f"within the tolerance of {tol_text}"
    if err_low > bound or err_high < -bound:
        return "disagrees", "outside tolerance", f"outside the tolerance of {tol_text}"
    return ("not measurable", "underpowered",
            f"the interval crosses the edge of the tolerance of {tol_text}, so this run "
            f"cannot tell")


def interval_within(estimate: float, ci, target: float, tol: float, *, n: int,
                    what: str = "The estimate", against: str = "the target", unit: str = "",
                    level: float = 0.95, how: str = "", digits: int = 3) -> Decision:
    """The tolerance rule for an estimate whose interval was computed elsewhere (e.g. a
    bootstrap or a fit): the interval inside ``target`` +- ``tol`` agrees, wholly outside
    disagrees, across the edge is underpowered. ``how`` names the interval (e.g. "bootstrap
    over seeds"). ``ci=None`` means no interval: no verdict."""
    if tol is None or not tol >= 0:
        raise ValueError(f"tol must be a non-negative number; got {tol}")
    u = f" {unit}" if unit else ""
    f = lambda x: fmt_num(x, digits)  # noqa: E731
    values = [estimate, target] + ([] if ci is None else list(ci))
    if not all(math.isfinite(float(v)) for v in values):
        return _nan(what, n, level)
    if ci is None:
        return Decision("not measurable", "no interval",
                        f"{what} is {f(estimate)}{u} against {against} {f(target)}{u}; this run "
                        f"gives no interval for it, so no verdict.", float(estimate), None,
                        level, n)
    low, high = float(ci[0]), float(ci[1])
    label = f"{_pct(level)} CI {f(low)} to {f(high)}" + (f", {how}" if how else "")
    shown = f"{what} is {f(estimate)}{u} ({label}) against {against} {f(target)}{u}"
    kind, status, tail = _tolerance_verdict(low - target, high - target, tol, f"{f(tol)}{u}")
    return _fragile_text(Decision(kind, status, f"{shown}: {tail}.", float(estimate), (low, high),
                                  level, n, fragile=fragile(low - target, high - target, (-tol, tol))))


def tracks_truth(estimates, truth: float, tol: float, *, relative: bool = False,
                 what: str = "The estimate", unit: str = "", level: float = 0.95,
                 exact: bool = False, per: str = "seed", digits: int = 3) -> Decision:
    """Does the mean of ``estimates`` (one per seed) lie within ``tol`` of ``truth``?

    The whole interval of the mean must lie inside +-tol (``tol`` x |truth| when
    ``relative``) to agree, wholly outside to disagree. ``exact=True`` for a computed value
    with no seed noise (compared directly). ``per`` names what one value is ("seed", or
    "sample" when ``estimates`` are the terms of one Monte Carlo mean).
    """
    return _within(estimates, truth, tol, relative=relative, level=level, exact=exact,
                   what=what, against="the truth", unit=unit, digits=digits, per=per)


def agrees_with_paper(value, paper_value: float, tol: float, *, read: str = "table",
                      source: str = "", relative: bool = False, what: str = "This run",
                      unit: str = "", level: float = 0.95, exact: bool = False,
                      digits: int = 3) -> Decision:
    """Does this run's value (one per seed) match the paper's within ``tol``?

    ``read`` says how the paper's number was obtained: "table", "figure, read by eye",
    "text" or "closed form"; ``source`` names where (e.g. "Table 1").
    """
    if read not in READS:
        raise ValueError(f"read must be one of {', '.join(READS)}; got {read!r}")
    if read.startswith("figure"):
        note = f" (read by eye from the paper's {source or 'figure'})"
    else:
        note = f" (the paper's {source or read})"
    return _within(value, paper_value, tol, relative=relative, level=level, exact=exact,
                   what=what, against="the paper's", unit=unit, digits=digits, note=note)


def holds_everywhere(failures: int, total: int, what: str, cases: str = "cases") -> Decision:
    """A property checked exactly on ``total`` cases (no sampling noise): it agrees when
    it fails nowhere, disagrees when it fails anywhere; no cases is not tested. ``what``
    states the property, ``cases`` names the cases (e.g. "batch sizes")."""
    failures, total = int(failures), int(total)
    if not 0 <= failures <= total:
        raise ValueError(f"failures must lie in [0, total]; got {failures} of {total}")
    if total == 0:
        return not_tested(what)
    if failures == 0:
        return Decision("agrees", "holds", f"{what}: it holds at all {total} {cases} checked.",
                        0.0, None, 1.0, total)
    return Decision("disagrees", "fails",
                    f"{what}: it fails at {failures} of the {total} {cases} checked.",
                    float(failures), None, 1.0, total)


# ---------------------------------------------------------------- several comparisons

def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input order."""
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return []
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must be finite numbers in [0, 1]")
    order = np.argsort(p, kind="stable")
    m = p.size
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


def holm(items, level: float = 0.95) -> list:
    """Holm's correction for one table's several comparisons.

    Given p-values, returns Holm-adjusted p-values. Given decisions from ``difference``,
    returns them recomputed so that each is "measured" exactly when Holm rejects at
    1 - ``level``: the i-th is redone at the level whose t test is its Holm threshold, and its
    sentence says so. Decisions with no test (one seed, NaN, not tested, tolerances) pass
    through unchanged and do not count as comparisons.
    """
    items = list(items)
    if not all(isinstance(d, Decision) for d in items):
        return holm_adjust(items)
    alpha = 1 - level
    tested = [i for i, d in enumerate(items) if d.redo is not None and d.p is not None
              and math.isfinite(d.p)]
    m = len(tested)
    if m <= 1:
        return items
    out = list(items)
    if any(items[i].n <= 2 for i in tested):  # one degree of freedom cannot reach the level
        for i in tested:
            out[i] = _untestable(items[i], m, alpha)
        return out
    adjusted = holm_adjust([items[i].p for i in tested])
    for i, adj in zip(tested, adjusted):
        d = items[i]
        rank = sorted(items[j].p for j in tested).index(d.p)
        a_i = alpha * d.p / adj if adj > 0 else alpha / (m - rank)
        redone = difference(**d.redo, level=1 - a_i)
        text = redone.sentence[:-1] + f" (Holm-corrected over {m} comparisons)."
        out[i] = dataclasses.replace(redone, sentence=text, p=adj)
    return out


def _untestable(d: Decision, m: int, alpha: float) -> Decision:
    """A comparison of a Holm family whose seeds cannot reach the family's level: the
    strictest Holm threshold needs a t quantile no run of so few seeds can pass in practice,
    so the family gets no per-item verdict (pool it, or add seeds)."""
    r = d.redo
    crit = float(stats.t.ppf(1 - alpha / m / 2, max(d.n - 1, 1)))
    u = f" {r['unit']}" if r.get("unit") else ""
    f = lambda x: fmt_num(x, r.get("digits", 3))  # noqa: E731
    sentence = (f"{r['names'][0]} minus {r['names'][1]} in {r['what']} is {f(d.estimate)}{u} "
                f"from {_seeds(d.n)}; corrected over {m} comparisons, a test at one degree of "
                f"freedom needs a t statistic of {crit:.0f}, so this family is untestable per "
                f"item at this budget (pool the comparisons or add seeds).")
    return Decision(Kind.UNDECIDED, "untestable", sentence, d.estimate, None, d.level, d.n,
                    None, d.redo, effect=d.effect)


# ---------------------------------------------------------------- gates

def baseline_trained(value, threshold: float, what: str, *, higher_is_better: bool = True,
                     digits: int = 3) -> Decision:
    """Did the baseline train? A failed one makes any comparison against it inconclusive."""
    v = _values(value)
    if v.size == 0:
        return not_tested(what)
    if not np.all(np.isfinite(v)):
        return Decision("inconclusive", "nan", f"Inconclusive: {what} is NaN.", n=v.size)
    x = float(v.mean())
    ok = x >= threshold if higher_is_better else x <= threshold
    side = "at least" if higher_is_better else "at most"
    if ok:
        return Decision("agrees", "baseline trained",
                        f"The baseline trained: {what} is {fmt_num(x, digits)} "
                        f"(needed {side} {fmt_num(threshold, digits)}).", x, n=v.size)
    return Decision("inconclusive", "baseline did not train",
                    f"Inconclusive: the baseline did not train ({what} is {fmt_num(x, digits)}, "
                    f"needed {side} {fmt_num(threshold, digits)}).", x, n=v.size)


def gate(baseline: Decision, decision: Decision) -> Decision:
    """``decision`` when the baseline trained, else the baseline's inconclusive decision."""
    return decision if baseline.status == "baseline trained" else baseline


# ---------------------------------------------------------------- scorecard rows

def _seeds_of(decision: Decision):
    """The scorecard's seed count: "exact" for checks with no sampling noise."""
    exact = decision.ci is None and decision.status in ("holds", "fails", "within tolerance",
                                                        "outside tolerance")
    return "exact" if exact else decision.n


SOURCES = ("the paper", "the seed report", "later work", "the book's own checks")


def claim(chapter: str, claim: str, paper: str, decision: Decision, this_run: str | None = None,
          seeds: int | None = None, source: str = "the paper") -> dict:
    """One scorecard row. ``this_run`` defaults to the decision's estimate and interval;
    ``seeds`` to the decision's n ("exact" for a check with no sampling noise); ``source``
    says whose claim it is (one of ``SOURCES``). The row keeps the decision as data
    (direction, size, the effect to detect, the 80 %-power effect) under the rule ``RULE``."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}; got {source!r}")
    if this_run is None:
        if decision.kind == Kind.NOT_TESTED:
            this_run = "not tested in this run"
        elif decision.status in ("holds", "fails"):
            this_run = (f"holds in all {decision.n} cases" if decision.status == "holds"
                        else f"fails in {int(decision.estimate)} of {decision.n} cases")
        elif decision.ci is not None:
            this_run = (f"{fmt_num(decision.estimate)} ({_pct(decision.level)} CI "
                        f"{fmt_num(decision.ci[0])} to {fmt_num(decision.ci[1])})")
        else:
            this_run = fmt_num(decision.estimate)
            if decision.status == "one seed, no spread":
                this_run += " (one seed, no spread)"
    data = decision.as_dict()
    return {
        "chapter": chapter, "claim": claim, "paper": paper, "this_run": this_run,
        "seeds": _seeds_of(decision) if seeds is None else int(seeds),
        "decision": decision.kind.value, "status": decision.status,
        "sentence": decision.sentence, "source": source, "rule": RULE,
        "direction": data["direction"], "size": data["size"], "effect": data["effect"],
        "detectable": data["detectable"], "fragile": data["fragile"],
    }


def reread(row: dict) -> dict:
    """A scorecard row of an older rule (a recording made before ``RULE``) in this rule's
    words: rule 1 called an interval that ruled out the paper's effect "disagrees (refuted
    with power)", and a measured effect short of it "agrees"; both are "smaller effect" now.
    Rows of this rule come back unchanged."""
    if row.get("rule") == RULE:
        return row
    out = dict(row, rule=RULE)
    status, sentence = row.get("status"), row.get("sentence") or ""
    if status == "refuted with power" and row.get("decision") == "disagrees":
        out.update(decision=Kind.SMALLER.value, status="effect ruled out",
                   direction=Direction.NOT_MEASURED.value, size=Size.SMALLER.value)
    elif status == "measured" and "falls short of the effect to detect" in sentence:
        out.update(decision=Kind.SMALLER.value, status="measured, smaller",
                   direction=Direction.PAPERS.value, size=Size.SMALLER.value)
    elif status == "refuted with power":  # an "a=b" claim: equivalence shown
        out.update(status="equivalent")
    return out
