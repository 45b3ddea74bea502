"""markdown_table: a DataFrame as the Markdown a numbered {table} glues."""

import math

import pandas as pd

from mine_lib.experiments.tables import markdown_table


def test_markdown_table_formats_numbers_and_escapes_text():
    df = pd.DataFrame({"method": ["mine", "a|b"], "mi": [0.51234, math.nan],
                       "n": [100, 2000], "big": [16.429999, -2896336.0]})
    text = markdown_table(df, formats={"n": ","}).data.splitlines()
    assert text == ["| method | mi | n | big |", "|---|---|---|---|",
                    "| mine | 0.512 | 100 | 16.430 |",
                    "| a\\|b | \u2014 | 2,000 | -2,896,336.0 |"]


def test_index_kept_on_request():
    df = pd.DataFrame({"x": [1]}, index=pd.Index(["row"], name="name"))
    assert markdown_table(df, index=True).data.splitlines()[2] == "| row | 1 |"
