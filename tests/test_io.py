"""Reading users' files: every supported layout gives the same array, every odd file one
clear InputError that names the file."""

import numpy as np
import pytest

from mine_lib.errors import InputError
from mine_lib.io import load_samples

DATA = np.array([[1.5, -2.0], [3.0, 4.25], [-5.0, 6e-3], [7.0, 8e10]])


def test_npz_with_several_arrays_by_name_or_option(tmp_path):
    np.savez(tmp_path / "d.npz", x=DATA, z=DATA[:, :1])
    assert np.array_equal(load_samples(f"{tmp_path}/d.npz:z").array, DATA[:, :1])
    assert np.array_equal(load_samples(tmp_path / "d.npz", key="x").array, DATA)
    with pytest.raises(InputError, match="holds 2 arrays \\(x, z\\).*KEY"):
        load_samples(tmp_path / "d.npz")
    with pytest.raises(InputError, match="no array named 'y'; it holds x, z"):
        load_samples(f"{tmp_path}/d.npz:y")


@pytest.mark.parametrize("name, text, header", [
    ("plain.csv", "1.5,-2\n3,4.25\n-5,6e-3\n7,8e10\n", False),
    ("head.csv", "a,b\n1.5,-2\n3,4.25\n-5,6e-3\n7,8e10\n", True),
    ("quoted.csv", '"a","b"\n"1.5","-2"\n3,4.25\n-5,6e-3\n7,8e10\n', True),
    ("tabs.tsv", "x\ty\n1.5\t-2\n3\t4.25\n-5\t6e-3\n7\t8e10\n", True),
    ("spaces.txt", "# comment\n  1.5   -2\n3 4.25\n\n-5 6e-3\n7    8e10\n", False),
    ("semi.dat", "1.5;-2\n3;4.25\n-5;6e-3\n7;8e10\n", False),
    ("bom.csv", "\ufeffa,b\r\n1.5,-2\r\n3,4.25\r\n-5,6e-3\r\n7,8e10\r\n", True),
])
def test_text_tables_with_and_without_header(tmp_path, name, text, header):
    (tmp_path / name).write_text(text, encoding="utf-8")
    loaded = load_samples(tmp_path / name)
    assert np.array_equal(loaded.array, DATA)
    assert loaded.array.dtype == np.float64
    assert len(loaded.notes) == 1
    assert ("header row detected" in loaded.notes[0]) == header
    assert "4 rows x 2 columns" in loaded.notes[0]


def test_integer_and_bool_arrays_become_float(tmp_path):
    np.save(tmp_path / "i.npy", np.arange(6).reshape(3, 2))
    assert load_samples(tmp_path / "i.npy").array.dtype == np.float64


@pytest.mark.parametrize("name, content, message", [
    ("words.csv", "a,b\n1,2\n3,oops\n", "line 3, column 2: 'oops' is not a number"),
    ("hole.csv", "1,2\n3,\n", "line 2, column 2: an empty field is not a number"),
    ("ragged.txt", "1 2\n3 4 5\n", "different numbers of columns"),
    ("onlyhead.csv", "a,b\n", "header row but no data rows"),
    ("comments.csv", "# nothing\n\n", "no rows"),
    ("names.csv", "a,b,c\n1,2\n3,4\n", "header row has 3 names"),
    ("binary.csv", b"\xff\xfe\x00\x81", "not a text file"),
    ("image.png", b"\x89PNG", "unknown file type"),
    ("empty.npy", b"", "the file is empty"),
    ("garbage.npy", b"not numpy at all", "cannot read it"),
])
def test_bad_files_give_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError, match=message) as err:
        load_samples(path)
    assert name in str(err.value) and "\n" not in str(err.value)


def test_strings_and_objects_are_refused(tmp_path):
    np.save(tmp_path / "s.npy", np.array([["a", "b"]]))
    with pytest.raises(InputError, match="not numbers"):
        load_samples(tmp_path / "s.npy")
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="cannot read it"):
        load_samples(tmp_path / "o.npy")  # pickles are never loaded


def test_a_key_for_a_file_that_has_none(tmp_path):
    np.save(tmp_path / "a.npy", DATA)
    with pytest.raises(InputError, match="only applies to .npz"):
        load_samples(tmp_path / "a.npy", key="x")
    with pytest.raises(InputError, match="folder"):
        load_samples(tmp_path)
