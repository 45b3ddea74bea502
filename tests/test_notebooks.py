"""The book's notebooks as committed: valid nbformat (every cell has an id) and no outputs."""

from pathlib import Path

import nbformat
import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 12


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_valid_and_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)  # raises on a cell without an id (nbformat 4.5)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [i for i, c in enumerate(code) if c.outputs or c.execution_count is not None]
