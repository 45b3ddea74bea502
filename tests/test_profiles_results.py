"""Run profiles and the results JSON."""

import json

import pytest

from mine_lib import InputError
from mine_lib.experiments import profiles
from mine_lib.experiments.results import save_results


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv("MINE_PROFILE", "smoke")
    assert profiles.current() == "smoke"
    monkeypatch.setenv("MINE_PROFILE", "paper")
    assert profiles.current() == "paper"
    monkeypatch.delenv("MINE_PROFILE")
    assert profiles.current() == "standard"


def test_unknown_profile_is_an_error(monkeypatch):
    monkeypatch.setenv("MINE_PROFILE", "huge")
    with pytest.raises(InputError, match="smoke, standard, long, paper"):
        profiles.current()


def test_results_json_has_context(monkeypatch, tmp_path):
    monkeypatch.setenv("MINE_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("MINE_PROFILE", "smoke")
    import numpy as np

    path = save_results("demo", {"mi": np.float32(1.5), "curve": np.arange(3)}, dataset="gauss", seeds=[0, 1])
    record = json.loads(path.read_text())
    assert path == tmp_path / "demo.json"
    assert record["profile"] == "smoke"
    assert record["dataset"] == "gauss"
    assert record["seeds"] == [0, 1]
    assert record["results"] == {"mi": 1.5, "curve": [0, 1, 2]}
    assert record["mine_lib_version"]
