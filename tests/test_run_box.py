"""What ran: save_results records the run (wall time, data, versions, device) and the
"this run" box shows it; results from a chapter opened in book/ land in _build/results."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mine_lib import datasets
from mine_lib.experiments import profiles, results

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def results_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("MINE_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("MINE_PROFILE", "smoke")
    monkeypatch.setattr(datasets, "LOADED", {})
    monkeypatch.setattr(results, "RECORDS", {})
    return tmp_path


def test_record_and_box_say_what_ran(results_folder, monkeypatch):
    monkeypatch.setattr(profiles, "STARTED", time.time() - 125)
    monkeypatch.setattr(profiles, "CPU_STARTED", time.process_time() - 61)
    monkeypatch.setitem(datasets.LOADED, "fashion-mnist", True)
    path = results.save_results("07_demo", {"mi": 1.0}, dataset="Stacked MNIST", seeds=[0, 1, 2])
    record = json.loads(path.read_text())
    assert 124 <= record["wall_seconds"] < 140
    assert record["data_loaded"] == [{"name": "fashion-mnist", "fallback": True}]
    assert record["device"].startswith(("CPU", "GPU"))
    rows = dict(results.this_run("07_demo").rows)
    assert rows["Profile"] == "smoke"
    assert rows["Wall time"].startswith("2 min 0")
    assert 61 <= record["cpu_seconds"] < 80 and "(CPU time 1 min 0" in rows["Wall time"]
    assert rows["Seeds"] == "0\u20132 (3 seeds)"
    assert rows["Data"] == "Fashion-MNIST (stand-in: MNIST was not available)"
    assert "torch" in rows["Versions"] and "Python" in rows["Versions"]


def test_box_names_mnist_when_it_ran_and_the_chapter_data_otherwise(results_folder):
    datasets.LOADED["mnist"] = False
    results.save_results("a", {}, dataset="Stacked MNIST")
    assert dict(results.this_run("a").rows)["Data"] == "MNIST"
    datasets.LOADED.clear()
    results.save_results("b", {}, dataset="synthetic Gaussians", seeds={"bench": [0, 1], "x": 4})
    rows = dict(results.this_run("b").rows)
    assert rows["Data"] == "synthetic Gaussians"
    assert rows["Seeds"] == "bench: 0, 1; x: 4"


def test_box_reads_the_file_in_a_new_kernel_and_escapes_html(results_folder):
    results.save_results("c", {}, dataset="<b>odd</b> & data")
    results.RECORDS.clear()  # as in a kernel that did not write the file itself
    box = results.this_run("c")
    page = box._repr_html_()
    assert 'class="admonition note this-run"' in page and "&lt;b&gt;odd&lt;/b&gt; &amp;" in page
    assert "none saved yet" in dict(results.this_run("never").rows)["Results"]


@pytest.mark.parametrize("seconds, text", [(42, "42 s"), (185, "3 min 05 s"), (3720, "1 h 02 min")])
def test_durations(seconds, text):
    assert results.duration(seconds) == text


def test_wall_times_table(results_folder):
    results.save_results("x1", {})
    (results_folder / "broken.json").write_text("{")
    assert [r["chapter"] for r in results.wall_times()] == ["x1"]
    assert results.wall_times()[0]["cpu_seconds"] >= 0


def test_a_chapter_opened_in_book_writes_to_build_results(monkeypatch):
    """The kernel of a chapter run in JupyterLab starts in book/ with no MINE_RESULTS_DIR."""
    monkeypatch.delenv("MINE_RESULTS_DIR", raising=False)
    monkeypatch.chdir(ROOT / "book")
    assert results.results_dir() == ROOT / "_build" / "results"


def test_importing_the_library_loads_no_notebook_progress_bar():
    """tqdm.auto warns "IProgress not found" in every notebook without ipywidgets."""
    code = ("import sys, mine_lib, mine_lib.estimator; "
            "print(sorted(m for m in sys.modules if m.startswith('tqdm.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert "tqdm.auto" not in out and "tqdm.notebook" not in out and "tqdm.std" in out


def test_saved_path_shows_nothing_as_a_cells_last_value(results_folder):
    """A chapter ending in save_results(...) would put PosixPath('/tmp/...') on its page."""
    from IPython.core.interactiveshell import InteractiveShell

    path = results.save_results("d", {"mi": 1.0})
    assert path == results_folder / "d.json" and json.loads(path.read_text())["chapter"] == "d"
    shell = InteractiveShell.instance()
    formatted, _ = shell.display_formatter.format(path)
    assert formatted == {}  # IPython calls _ipython_display_, which shows nothing
