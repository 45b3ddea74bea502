"""Tables for the book's pages: a DataFrame as a Markdown table, to glue and show as a
numbered "Table 7.1" (a glued DataFrame shown with {glue:figure} is captioned "Fig.").

In the notebook:    glue("tbl-sizes", markdown_table(df), display=False)
In a Markdown cell (the outer fence has four backticks):

    ````{table} What the table shows.
    :name: tbl-sizes

    ```{glue:md} tbl-sizes
    :format: myst
    ```
    ````

and {numref}`tbl-sizes` reads "Table 7.1" in chapter 7.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math
from numbers import Integral, Real


def cell_text(value, fmt: str | None = None) -> str:
    """One cell: integers as they are, other numbers to 3 decimals (1 above 100), NaN as
    an em dash, text with its pipes escaped."""
    if value is None or (isinstance(value, Real) and not isinstance(value, Integral)
                         and math.isnan(value)):
        return "\u2014"
    if fmt is not None:
        text = format(value, fmt)
    elif isinstance(value, bool) or isinstance(value, Integral):
        text = str(value)
    elif isinstance(value, Real):
        text = f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3f}"
    else:
        text = str(value)
    return " ".join(text.replace("|", "\\|").split())


def markdown_table(df, formats: dict | None = None, index: bool = False):
    """``df`` (a pandas DataFrame) as an IPython Markdown table. ``formats`` maps a column
    to a format spec (e.g. {"mi": ".2f"}); ``index=True`` keeps the index as a first column."""
    from IPython.display import Markdown

    formats = formats or {}
    frame = df.reset_index() if index else df
    header = [cell_text(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in frame.itertuples(index=False):
        cells = [cell_text(v, formats.get(c)) for c, v in zip(frame.columns, row)]
        lines.append("| " + " | ".join(cells) + " |")
    return Markdown("\n".join(lines))
