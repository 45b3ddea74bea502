"""The estimators' public API: one typed config per method (and ``**options`` as its
shorthand), unknown options named with the valid ones, warnings with stable codes, and the
old ``mine_lib.estimator`` names still importable."""

import copy
import json
import pickle

import numpy as np
import pytest

import mine_lib
from mine_lib import (
    WARNING_CODES,
    CrossFitConfig,
    InputError,
    KSGConfig,
    MineConfig,
    MIWarning,
    SmileConfig,
    TrainConfig,
    estimate_mi,
    estimate_with_uncertainty,
    methods,
)
from mine_lib.estimators.api import METHOD_CONFIGS, NO_TRAINING, option_names
from mine_lib.tasks import correlated_gaussian

X, Z = correlated_gaussian(300, 2, 0.6, seed=0)
TINY = dict(max_steps=30, eval_every=10)


def test_every_method_has_one_typed_config():
    assert sorted(METHOD_CONFIGS) == methods()
    assert METHOD_CONFIGS["crossfit"] is CrossFitConfig and METHOD_CONFIGS["ksg"] is KSGConfig
    for method, cls in METHOD_CONFIGS.items():
        assert cls.__dataclass_fields__, method
        if method == "crossfit" or method in NO_TRAINING:
            assert not issubclass(cls, TrainConfig), method
        else:
            assert issubclass(cls, TrainConfig), method  # it runs through train_critic


@pytest.mark.parametrize("method, config", [
    ("crossfit", CrossFitConfig(seed=2, **TINY)),
    ("mine", MineConfig(seed=2, ema_rate=0.05, **TINY)),
    ("smile", SmileConfig(seed=2, tau=3.0, **TINY)),
    ("ksg", KSGConfig(seed=2, k=5)),
])
def test_a_config_and_its_shorthand_give_the_same_number(method, config):
    options = {k: v for k, v in vars(config).items()
               if k in option_names(method) and v != getattr(type(config)(), k)}
    by_config = estimate_mi(X, Z, config=config)
    assert by_config.method == method  # the method follows from the config's type
    assert by_config.mi == estimate_mi(X, Z, method=method, seed=2, **options).mi


def test_seed_and_options_replace_the_configs_fields():
    cfg = MineConfig(seed=7, **TINY)
    assert estimate_mi(X, Z, config=cfg, seed=1).mi == estimate_mi(X, Z, method="mine", seed=1,
                                                                     **TINY).mi
    assert estimate_mi(X, Z, config=cfg, max_steps=20).steps == 20
    assert cfg.seed == 7 and cfg.max_steps == 30  # the caller's config is left alone


def test_a_single_critic_result_records_the_plain_train_config():
    r = estimate_mi(X, Z, config=SmileConfig(tau=3.0, **TINY))
    assert r.method == "smile" and r.config["loss"] == "smile"
    assert r.config["loss_options"] == {"tau": 3.0} and "tau" not in r.config


@pytest.mark.parametrize("method", ["crossfit", "ksg", "mine", "smile", "infonce"])
def test_an_unknown_option_is_an_input_error_naming_the_valid_ones(method):
    with pytest.raises(InputError, match="unknown option") as err:
        estimate_mi(X, Z, method=method, wings=2)
    text = str(err.value)
    assert "wings" in text and f"valid options of {method!r}" in text
    assert all(name in text for name in option_names(method))


def test_an_option_of_another_method_says_whose_it_is():
    with pytest.raises(InputError, match="applies to method 'crossfit', not 'mine'"):
        estimate_mi(X, Z, method="mine", folds=4)
    with pytest.raises(InputError, match="applies to methods .*not 'ksg'; valid options of 'ksg': k"):
        estimate_mi(X, Z, method="ksg", max_steps=10)
    with pytest.raises(InputError, match="unknown option"):  # derived, not an option
        estimate_mi(X, Z, method="mine", loss="dv")


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "ksg", "config": CrossFitConfig()}, "'ksg' takes a KSGConfig"),
    ({"config": TrainConfig()}, "plain TrainConfig goes to train_critic"),
    ({"config": KSGConfig(seed=-1)}, "seed must be an integer"),
    ({"method": "crossfit", "seed": 1.5}, "seed must be an integer"),
])
def test_a_config_that_does_not_fit_is_an_input_error(kwargs, message):
    with pytest.raises(InputError, match=message):
        estimate_mi(X, Z, **kwargs)


def test_uncertainty_takes_a_config_and_names_its_method():
    u = estimate_with_uncertainty(X, Z, seeds=(0, 1), config=KSGConfig(k=4))
    assert u.method == "ksg"
    assert u.values == [estimate_mi(X, Z, config=KSGConfig(k=4), seed=s).mi for s in (0, 1)]


def test_a_warning_is_its_sentence_with_a_stable_code():
    w = MIWarning("still-rising", "training was still improving when it stopped")
    assert w == "training was still improving when it stopped" == str(w) == w.message
    assert type(str(w)) is str and "still improving" in w
    assert w.code == "still-rising" and w.as_dict() == {"code": "still-rising", "message": str(w)}
    for same in (pickle.loads(pickle.dumps(w)), copy.deepcopy(w)):
        assert same.code == w.code and same == w
    assert json.dumps([w]) == json.dumps([str(w)])  # a results file keeps the sentence
    with pytest.raises(ValueError, match="unknown warning code"):
        MIWarning("no-such-code", "text")


def test_warnings_of_estimates_carry_known_codes():
    xc = np.c_[X, np.full(len(X), 3.0)]
    r = estimate_mi(xc, Z, method="ksg")
    assert [w.code for w in r.warnings] == ["constant-columns"]
    assert r.summary()["warnings"] == [{"code": "constant-columns", "message": str(r.warnings[0])}]
    shuffled = estimate_mi(X, np.random.default_rng(0).permutation(Z), seed=0, max_steps=100)
    codes = [w.code for w in shuffled.warnings]
    assert "indistinguishable-from-zero" in codes and set(codes) <= set(WARNING_CODES)
    assert "warning: the estimate is not distinguishable from zero" in str(shuffled)


OLD_NAMES = """DEFAULT_METHOD MIN_ROWS TrainConfig MIEstimate MIUncertainty CrossFitConfig as_matrix
constant_column_warnings check_pair split_rows held_out_estimate batch_scores
train_critic rank_gauss CriticStack fitted_gaussian_log_ratio fold_rows stack_rows dv_parts read_cap dv_of
dv_stderr permutation_perms crossfit_estimate dv_parts_pairs fold_lower_bound CEILING_MARGIN ZERO_ALPHA
crossfit_warnings methods estimate_mi estimate_with_uncertainty""".split()


def test_the_old_module_still_gives_its_names():
    from mine_lib import estimator

    assert [n for n in OLD_NAMES if not hasattr(estimator, n)] == []
    assert estimator.estimate_mi is mine_lib.estimate_mi


def test_the_package_exports_the_public_names():
    for name in ("CrossFitConfig", "estimate_with_uncertainty", "MIUncertainty", "MIWarning",
                 "WARNING_CODES", "KSGConfig", "MineConfig", "SmileConfig", "TrainConfig"):
        assert name in mine_lib.__all__ and hasattr(mine_lib, name)
