"""Run torch-mist on one task sample; called by bench_estimators.py through the interpreter
of a separate environment (torch-mist is not a dependency of mine_lib).

Usage: <torch-mist python> torch_mist_runner.py DATA.npz ESTIMATOR [ESTIMATOR ...]
DATA.npz holds x_train, z_train, x_test, z_test. For each estimator (a torch-mist factory
name: smile, mine, ...) it trains with torch-mist's own defaults and a 64-64 critic
(torch-mist keeps 10 % of the training rows for early stopping) and prints one JSON line:
the estimate on the rows it trained on (torch-mist's default read-out when no test data are
given), the estimate on the held-out test rows, and the seconds of the fit.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch


def main() -> None:
    torch.set_num_threads(1)
    from torch_mist import estimate_mi
    from torch_mist.utils.evaluation import evaluate_mi

    data = np.load(sys.argv[1])
    train = {"x": torch.as_tensor(data["x_train"]), "y": torch.as_tensor(data["z_train"])}
    test = {"x": torch.as_tensor(data["x_test"]), "y": torch.as_tensor(data["z_test"])}
    seed = int(data["seed"]) if "seed" in data else 0
    for name in sys.argv[2:]:
        torch.manual_seed(seed)
        np.random.seed(seed)
        start, cpu_start = time.perf_counter(), time.process_time()
        row = {"estimator": name}
        try:
            estimator = estimate_mi(data=train, estimator=name, hidden_dims=[64, 64],
                                    test_data=False, return_estimator=True, verbose=False,
                                    logger=False)
            if isinstance(estimator, tuple):
                estimator = estimator[0]
            row["seconds"] = time.perf_counter() - start
            row["cpu_seconds"] = time.process_time() - cpu_start
            row["mi_train_rows"] = float(evaluate_mi(estimator, data=train, batch_size=64))
            row["mi_test_rows"] = float(evaluate_mi(estimator, data=test, batch_size=64))
        except Exception as err:  # noqa: BLE001 -- any peer failure is a row, not a crash
            row["error"] = f"{type(err).__name__}: {err}"
            row["seconds"] = time.perf_counter() - start
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
