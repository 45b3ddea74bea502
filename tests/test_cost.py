"""The cost-by-rows recording of chapter 10: its table, and its staleness by source hash."""

import shutil

import pytest

from mine_lib.experiments import cost


def fake_record(dirty=False, sources_hash=None):
    runs = []
    for rows, base in ((5000, 10.0), (500_000, 30.0)):
        for method, factor in (("crossfit", 1.0), ("ksg", 0.1)):
            for threads in (1, 2):
                for seed, extra in ((0, 0.0), (1, 2.0), (2, 4.0)):
                    runs.append({"rows": rows, "method": method, "threads": threads, "seed": seed,
                                 "estimate": 0.28 + 0.01 * seed, "true_mi": 0.2877,
                                 "wall_s": factor * (base + extra) / threads,
                                 "cpu_s": factor * (base + extra), "steps": 100, "warnings": []})
    prov = {"command": "python benchmarks/bench_cost.py --record", "commit": "abc1234",
            "dirty": dirty, "date": "2026-12-08 04:00 UTC", "machine": "vm", "load_average": 0.1,
            "task": "Gaussian", "sources_hash": sources_hash or cost.sources_hash()}
    return {"provenance": prov, "runs": runs}


def test_table_takes_medians_over_seeds_per_rows_method_and_threads():
    table = cost.cost_table(fake_record())
    assert list(table.index) == [5000, 500_000]
    assert table.loc[5000, "default: CPU s (1 thread)"] == pytest.approx(12.0)  # median of 10, 12, 14
    assert table.loc[500_000, "default: wall s (2 threads)"] == pytest.approx(16.0)
    assert table.loc[500_000, "KSG: wall s (2 threads)"] == pytest.approx(1.6)
    assert table.loc[5000, "default estimate"] == pytest.approx(0.29)
    glue = cost.cost_glue(fake_record())
    assert glue["cpu_5000"] == pytest.approx(12.0) and glue["wall_top"] == pytest.approx(16.0)
    assert glue["top_rows"] == "500,000" and glue["cores"] == 2 and glue["seeds"] == 3


def test_stale_when_the_estimator_source_changes_or_was_uncommitted(tmp_path):
    for name in cost.COST_SOURCES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(cost.ROOT / name, tmp_path / name)
    record = fake_record()
    assert not cost.is_stale(record, tmp_path)
    assert cost.is_stale(fake_record(dirty=True), tmp_path)
    with open(tmp_path / cost.COST_SOURCES[0], "a") as f:
        f.write("\n# a change\n")
    assert cost.is_stale(record, tmp_path)


def test_the_books_cost_recording_is_not_stale():
    record = cost.load_cost()
    assert not cost.is_stale(record), (
        "the estimators changed since book/recorded/cost_by_rows.json was written: "
        "run .venv/bin/python benchmarks/bench_cost.py --record on an idle machine")
    rows = {r["rows"] for r in record["runs"]}
    assert {5000, 500_000} <= rows
