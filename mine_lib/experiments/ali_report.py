"""Chapter 08's report: ALI, ALICE and ALI+MINE trained, scored on held-out images and
turned into tables, decisions, claim rows and sentences. The chapter calls these and
glues what comes back, so its code reads as the experiment.

``scores`` is the list of per-run dicts that ``train_and_score`` returns (one per model and
seed); ``seeds`` the chapter's seeds, in order.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import ali, evidence, image_metrics
from .beside import claim_row, plural
from .plots import method_colors

PAPER = ali.PAPER_TABLE
MODELS = {"ALI": "ali", "ALICE (l2)": "alice-l2", "ALI+MINE": "ali+mine"}
KEYS = ("err", "agree", "label_acc", "msssim", "agree_mean_code", "mi", "bound", "z_var",
        "grad_ratio", "clip_share", "seconds")
# measure: (words, the paper's direction, scale, unit, the paper's column, a perfect score).
# The error's units differ from the paper's (not stated there); accuracy and MS-SSIM mean the
# same in both, so their effect to detect is at most the paper's own difference.
MEASURES = {"err": ("reconstruction error", "a<b", 1.0, "", "mnist_err", 0.0),
            "agree": ("reconstruction accuracy", "a>b", 100.0, "points", "mnist_acc", 100.0),
            "msssim": ("MS-SSIM", "a>b", 1.0, "", "mnist_msssim", 1.0)}
SAME_UNITS = {"err": False, "agree": True, "msssim": True}


def variants(beta: float, beta_low: float, ablation: tuple) -> tuple[dict, dict, str, str]:
    """The trained models: ALI, ALICE (l2), ALI+MINE at ``beta``, and the ablation variants
    the profile's budget allows (ALI+MINE with its MI gradient clipped, with ``beta_low``).
    Returns (all variants, the ablation's, the clipped one's label, the low-beta one's)."""
    clipped, low = "ALI+MINE, clipped", f"ALI+MINE, β = {beta_low:g}"
    out = {"ALI": dict(model="ali"), "ALICE (l2)": dict(model="alice-l2"),
           "ALI+MINE": dict(model="ali+mine", beta=beta)}
    options = {clipped: ("clipped", dict(model="ali+mine", beta=beta, clip=True)),
               low: ("smaller beta", dict(model="ali+mine", beta=beta_low))}
    abl = {label: opts for label, (short, opts) in options.items() if short in ablation}
    return {**out, **abl}, abl, clipped, low


def sizes_glue(sizes: dict, beta: float, recon_weight: float, sigma: float, trained_agreement: float) -> dict:
    return {"steps": sizes["steps"], "seeds": plural(len(sizes["seeds"]), "seed"), "n-test": sizes["n_test"],
            "nets": (f"encoder and generator perceptrons with {sizes['hidden']} hidden units, a "
                     f"{sizes['latent_dim']}-dimensional code, a statistics network with hidden widths "
                     f"{', '.join(map(str, sizes['critic_hidden']))}"),
            "weights": (f"β = {beta:g} for the MI term, λ = {recon_weight:g} for the ℓ2 term, "
                        f"Adam with learning rate {sizes['lr']:g} (β₁ = 0.5), dropout "
                        f"{sizes['dropout']:g} in the discriminator, σ = {sigma:g}"),
            "trained-threshold": 100 * trained_agreement}


def score_run(run, label: str, seed: int, x_test, y_test, judge, steps: int) -> dict:
    """One trained model read on the held-out images: reconstruction error, class agreement
    (sampled and mean code), MS-SSIM, MINE's estimate, the channel bound, the codes' variance
    and the MI gradient's size against the adversarial one over the second half of training."""
    rec = ali.reconstruct(run, x_test, seed=seed)
    late = run.history["step"] > steps // 2
    return dict(
        model=label, seed=seed, rec=rec,
        err=image_metrics.reconstruction_error(x_test, rec),
        agree=image_metrics.reconstruction_accuracy(judge, x_test, rec),
        label_acc=image_metrics.reconstruction_accuracy(judge, x_test, rec, labels=y_test),
        msssim=image_metrics.ms_ssim(x_test, rec),
        agree_mean_code=image_metrics.reconstruction_accuracy(judge, x_test, ali.reconstruct(run, x_test, sample=False)),
        mi=ali.mi_estimate(run, x_test, seed=seed),
        bound=ali.channel_bound(run, x_test),
        z_var=float(ali.encode(run, x_test, seed=seed).var(axis=0).mean()),
        grad_ratio=float(np.median(run.history["mi_norm"][late] / run.history["adv_norm"][late])),
        clip_share=float(np.mean(run.history["mi_norm"] > run.history["adv_norm"])),
        seconds=run.seconds,
    )


def train_and_score(models: dict, sizes: dict, sigma: float, recon_weight: float, images, x_test, y_test,
                    judge) -> tuple[dict, list[dict]]:
    """Train every model (all seeds of a model as one stacked computation; each seed as it
    would alone) and score it. Returns (runs by (label, seed), scores)."""
    runs, scores = {}, []
    for label, options in models.items():
        config = ali.ALIConfig(latent_dim=sizes["latent_dim"], hidden=sizes["hidden"],
                               critic_hidden=sizes["critic_hidden"], steps=sizes["steps"], lr=sizes["lr"],
                               dropout=sizes["dropout"], sigma=sigma, recon_weight=recon_weight, **options)
        for seed, run in zip(sizes["seeds"], ali.train_ali_seeds(images, config, sizes["seeds"])):
            runs[label, seed] = run
            scores.append(score_run(run, label, seed, x_test, y_test, judge, sizes["steps"]))
    return runs, scores


def per_seed(scores: list[dict], label: str, key: str, seeds) -> np.ndarray:
    """One number per seed (in the order of ``seeds``): the mean over the held-out images."""
    rows = {s["seed"]: float(np.mean(s[key])) for s in scores if s["model"] == label}
    return np.array([rows[seed] for seed in seeds])


def summary(scores: list[dict], label: str, seeds) -> dict:
    """A model's means over seeds, with accuracies in percent ("acc", "acc_mean_code")."""
    out = {key: float(per_seed(scores, label, key, seeds).mean()) for key in KEYS}
    out["acc"], out["label_acc"] = 100 * out.pop("agree"), 100 * out["label_acc"]
    out["acc_mean_code"] = 100 * out.pop("agree_mean_code")
    return out


def glue_key(label: str) -> str:
    """"ALICE (l2)" -> "alice-l2", "ALI+MINE" -> "ali-mine"."""
    return label.replace(" ", "").replace("(", "-").replace(")", "").replace("+", "-").lower()


def models_glue(ours: dict, scores: list[dict]) -> dict:
    out = {"seconds": float(np.mean([s["seconds"] for s in scores]))}
    for label in MODELS:
        out.update({f"{glue_key(label)}-{name}": value for name, value in ours[label].items()})
    return out


def baseline_check(scores: list[dict], seeds, trained_agreement: float):
    """Did ALI train? Reconstructing from the mean of the code, G(F(x)), must keep the class
    well above chance: the encoder and the generator learned to invert each other. Returns
    (decision, ALI's agreement per seed in percent)."""
    agree = 100 * per_seed(scores, "ALI", "agree_mean_code", seeds)
    return evidence.baseline_trained(agree, 100 * trained_agreement,
                                     "ALI's class agreement in percent when it reconstructs from the mean of "
                                     "the code", digits=1), agree


def paper_table(ours: dict, dataset: str) -> pd.DataFrame:
    """The paper's MNIST and CelebA columns beside this run's, one row per paper model."""
    rows = {}
    for label, paper in PAPER.items():
        mine = ours.get(label)
        rows[label] = {
            ("paper, MNIST", "error"): f"{paper['mnist_err']:.2f}",
            ("paper, MNIST", "accuracy %"): f"{paper['mnist_acc']:.2f}",
            ("paper, MNIST", "MS-SSIM"): f"{paper['mnist_msssim']:.2f}",
            ("paper, CelebA", "error"): f"{paper['celeba_err']:.2f}",
            ("paper, CelebA", "accuracy %"): f"{paper['celeba_acc']:.2f}",
            ("paper, CelebA", "MS-SSIM"): f"{paper['celeba_msssim']:.2f}",
            (f"this book, {dataset}", "error"): f"{mine['err']:.2f}" if mine else "not run",
            (f"this book, {dataset}", "accuracy %"): f"{mine['acc']:.2f}" if mine else "not run",
            (f"this book, {dataset}", "MS-SSIM"): f"{mine['msssim']:.3f}" if mine else "not run",
        }
    table = pd.DataFrame(rows).T
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table


def recon_figure(x_test, y_test, scores: list[dict], models, seed: int) -> plt.Figure:
    """One held-out image per class (the first ten classes) in the top row, below it each
    model's reconstruction of them at ``seed``; white strips between the rows."""
    picks = [int(np.flatnonzero(y_test == k)[0]) for k in np.unique(y_test)][:10]
    panels = [("held-out images", x_test[picks] / 255.0)]
    for label in models:
        rec = next(s["rec"] for s in scores if s["model"] == label and s["seed"] == seed)
        panels.append((label, rec[picks, 0]))
    gap = np.zeros((4, 28 * len(picks)))  # a white strip between rows (gray_r: 0 is white)
    strips = []
    for _, imgs in panels:
        strips += [np.concatenate(list(imgs), axis=1), gap]
    fig, ax = plt.subplots(figsize=(8, 0.85 * len(panels) + 0.3))
    ax.imshow(np.concatenate(strips[:-1], axis=0), cmap="gray_r", vmin=0, vmax=1)
    ax.set_yticks([14 + 32 * i for i in range(len(panels))], [name for name, _ in panels])
    ax.set_xticks([])
    ax.grid(False)
    return fig


def samples_figure(runs: dict, models, seed: int) -> plt.Figure:
    """64 samples G(z), z ~ N(0, I), of each model's run at ``seed``, as an 8 x 8 grid."""
    fig, axes = plt.subplots(1, len(models), figsize=(10, 3.6))
    for ax, label in zip(axes, models):
        imgs = ali.sample(runs[label, seed], 64, seed=1)[:, 0]
        grid = imgs.reshape(8, 8, 28, 28).transpose(0, 2, 1, 3).reshape(8 * 28, 8 * 28)
        ax.imshow(grid, cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(label)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    return fig


def mi_figure(runs: dict, labels, seed: int) -> plt.Figure:
    """MINE's minibatch estimate of I_q(x, z) during training (a moving average over 10
    logged steps) of each model's run at ``seed``."""
    colors = method_colors(labels)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for label in labels:
        h = runs[label, seed].history
        curve = pd.Series(h["mi_train"]).rolling(10, min_periods=1).mean()
        ax.plot(h["step"], curve, color=colors[label], label=label)
    ax.set_xlabel("training step")
    ax.set_ylabel("MINE estimate of $I_q(x, z)$ (nats)")
    ax.legend()
    return fig


def information(scores: list[dict], ours: dict, seeds):
    """The information table, whether MINE stays below the channel bound, and whether the MI
    term raises the information and spreads the codes (paired by seed). Returns
    (glue, MI decision)."""
    info = pd.DataFrame({label: {"MINE estimate (nats)": f"{s['mi']:.3f}",
                                 "channel bound (nats)": f"{s['bound']:.3f}",
                                 "code variance (prior: 1)": f"{s['z_var']:.3f}",
                                 "accuracy %, sampled code": f"{s['acc']:.1f}",
                                 "accuracy %, mean code": f"{s['acc_mean_code']:.1f}"}
                         for label, s in ours.items()}).T
    below = all(s["mi"] <= s["bound"] + 0.05 for s in ours.values())
    d_mi = evidence.difference(per_seed(scores, "ALI+MINE", "mi", seeds), per_seed(scores, "ALI", "mi", seeds),
                               paired=True, names=("ALI+MINE", "ALI"), what="MINE's held-out estimate of I_q(x, z)",
                               unit="nats", higher_is_better=None, expected="a>b")
    d_var = evidence.difference(per_seed(scores, "ALI+MINE", "z_var", seeds), per_seed(scores, "ALI", "z_var", seeds),
                                paired=True, names=("ALI+MINE", "ALI"), what="the variance of the codes",
                                higher_is_better=None)
    return {"info-table": info, "mi-consistent": "stays below" if below else "does not stay below",
            "mi-sentence": d_mi.sentence, "var-sentence": d_var.sentence}, d_mi


def effect_to_detect(scores: list[dict], seeds, key: str, new: str = "ALI+MINE", base: str = "ALI") -> float:
    """The paper's effect of ``new`` over ``base`` on a measure, scaled to this run's ``base``."""
    _, _, scale, _, column, perfect = MEASURES[key]
    return evidence.paper_effect(PAPER[new][column], PAPER[base][column],
                                 float(np.mean(scale * per_seed(scores, base, key, seeds))), perfect,
                                 same_units=SAME_UNITS[key])


def comparisons(scores: list[dict], seeds, base_ok: evidence.Decision):
    """ALI+MINE against ALI on the three measures (paired by seed, Holm, each against the
    paper's effect scaled to this run), and ALICE against ALI+MINE on the error. Returns
    (effects, raw, gated, ALICE decision, overall sentence, glue)."""
    effect = {key: effect_to_detect(scores, seeds, key) for key in MEASURES}
    raw = {key: evidence.difference(scale * per_seed(scores, "ALI+MINE", key, seeds),
                                    scale * per_seed(scores, "ALI", key, seeds), paired=True,
                                    names=("ALI+MINE", "ALI"), what=what, unit=unit,
                                    higher_is_better=(better == "a>b"), expected=better,
                                    smallest_effect=effect[key])
           for key, (what, better, scale, unit, _, _) in MEASURES.items()}
    raw = dict(zip(raw, evidence.holm(list(raw.values()))))
    decided = {key: evidence.gate(base_ok, d) for key, d in raw.items()}
    n_agree = sum(d.kind == "agrees" for d in decided.values())
    n_excluded = sum(d.effect_excluded for d in decided.values())  # an effect the paper's size ruled out
    if base_ok.status != "baseline trained":
        overall = ("No measure can be decided at this budget: ALI itself did not learn to "
                   "reconstruct, so ALI+MINE is compared with a model that failed.")
    else:
        overall = (f"ALI+MINE improves on ALI, as the paper reports, in {n_agree} of the three "
                   f"measures at this budget (the paper: all three); in {n_excluded} of the three "
                   f"the interval rules out an improvement the size of the paper's, scaled to "
                   f"this run.")
    alice = evidence.difference(
        per_seed(scores, "ALICE (l2)", "err", seeds), per_seed(scores, "ALI+MINE", "err", seeds), paired=True,
        names=("ALICE (l2)", "ALI+MINE"), what="reconstruction error", higher_is_better=False,
        expected="a<b", smallest_effect=effect_to_detect(scores, seeds, "err", "ALICE (l2)", "ALI+MINE"))
    glue = {"verdict-overall": overall, "alice-sentence": alice.sentence}
    for key, (what, better, scale, unit, column, perfect) in MEASURES.items():
        new, base = PAPER["ALI+MINE"][column], PAPER["ALI"][column]
        glue[f"effect-share-{key}"] = f"{100 * abs(new - base) / abs(perfect - base):.0f}"
        glue[f"effect-paper-{key}"] = f"{new - base:+.2f}"
        glue[f"effect-{key}"] = f"{effect[key]:.3g}{' ' + unit if unit else ''}"
    for key, d in decided.items():
        glue[f"dec-{key}"] = ("inconclusive: the baseline did not train." if d.status == "baseline did not train"
                              else d.sentence)
    return effect, raw, decided, alice, overall, glue


def paper_text(a: str, b: str, key: str, effect: float, unit: str = "") -> str:
    """The paper's two numbers and the effect tested, said as what it is: the paper's own
    difference (where it is the smaller reading) or its share of the way to a perfect score,
    carried over to this run."""
    u = f" {unit}" if unit else ""
    raw = abs(PAPER[a][key] - PAPER[b][key])
    how = ("the paper's difference as it stands" if abs(abs(effect) - raw) < 1e-9 else
           "the paper's share of the way to a perfect score, carried over to this run")
    return (f"{PAPER[a][key]:.2f} vs {PAPER[b][key]:.2f}{' %' if key == 'mnist_acc' else ''} "
            f"(MNIST, table); effect tested: {effect:.3g}{u}, {how}")


def claim_rows(chapter: str, effect: dict, raw: dict, decided: dict, alice: evidence.Decision) -> list[dict]:
    return [
        claim_row(chapter, "ALI+MINE has a lower reconstruction error than ALI",
                  paper_text("ALI+MINE", "ALI", "mnist_err", -effect["err"]), decided["err"], raw["err"]),
        claim_row(chapter, "ALI+MINE has a higher reconstruction accuracy than ALI",
                  paper_text("ALI+MINE", "ALI", "mnist_acc", effect["agree"], "points"), decided["agree"],
                  raw["agree"], "points"),
        claim_row(chapter, "ALI+MINE has a higher MS-SSIM than ALI",
                  paper_text("ALI+MINE", "ALI", "mnist_msssim", effect["msssim"]), decided["msssim"],
                  raw["msssim"]),
        claim_row(chapter, "ALICE (l2) has a lower reconstruction error than ALI+MINE",
                  paper_text("ALICE (l2)", "ALI+MINE", "mnist_err", -alice.redo["smallest_effect"]), alice, None),
    ]


def ablation(scores: list[dict], seeds, models: dict, abl_models: dict, labels: tuple[str, str], ours: dict,
             gap: evidence.Decision, base_ok: evidence.Decision, beta: float, recorded_reading: str | None):
    """Two ways to weaken the MI term's pull on the encoder (the paper's clipping, a smaller
    beta), each against ALI+MINE as specified and against ALI, in reconstruction accuracy.
    ``gap`` is ALI+MINE minus ALI before the baseline gate. Returns (decisions, reading, glue)."""
    clipped, low = labels
    agree = {label: 100 * per_seed(scores, label, "agree", seeds) for label in models}
    pairs = {"clip-vs-mine": (clipped, "ALI+MINE"), "low-vs-mine": (low, "ALI+MINE"),
             "clip-vs-ali": (clipped, "ALI"), "low-vs-ali": (low, "ALI")}
    tests = [evidence.difference(agree[a], agree[b], paired=True, names=(a, b), what="reconstruction accuracy",
                                 unit="points", digits=1)
             if a in models else evidence.not_tested(f"{a} against {b} (not trained in this profile)")
             for a, b in pairs.values()]
    decided = dict(zip(pairs, evidence.holm(tests)))
    clip_share = ours["ALI+MINE"]["clip_share"]
    clipping = ("so the paper's clipping never acted and the clipped runs are the same runs" if clip_share == 0
                else f"longer at {100 * clip_share:.0f} % of the logged steps, where the clipping acted")
    reading = ablation_reading(decided, abl_models, gap, base_ok, beta, recorded_reading)
    table = pd.DataFrame({label: {
        "accuracy %": evidence.fmt_spread(agree[label], digits=1),
        "code variance": f"{ours[label]['z_var']:.3f}",
        "MINE estimate (nats)": f"{ours[label]['mi']:.3f}",
        "|β g_MI| / |g_adv|": f"{ours[label]['grad_ratio']:.3g}" if "MINE" in label else "",
    } for label in ("ALI", "ALI+MINE", clipped, low) if label in models}).T
    glue = {"grad-ratio": f"{ours['ALI+MINE']['grad_ratio']:.2g}", "clipping": clipping,
            "ablation-list": ", ".join(abl_models) or "none", "abl-reading": reading,
            **{f"abl-{key}": d.sentence for key, d in decided.items()}}
    return decided, reading, glue, table


def ablation_reading(decided: dict, abl_models: dict, gap: evidence.Decision, base_ok: evidence.Decision,
                     beta: float, recorded_reading: str | None) -> str:
    """What the ablation says about the MI term's pull, in one sentence."""
    changed = [d for k, d in decided.items() if k.endswith("vs-mine") and d.measured]
    if gap.measured:
        where = "ALI+MINE trails ALI measurably" if gap.estimate < 0 else "ALI+MINE improves on ALI measurably"
    else:
        where = (f"ALI+MINE and ALI do not differ measurably in accuracy "
                 f"({gap.estimate:+.1f} points over {gap.n} seeds)")
    if not abl_models:  # the standard budget goes to a baseline that trains; the long run ablates
        return ("not tested in this build, whose budget trains only the three models of the "
                "paper's table; " + (f"the recorded long run (below) reads: {recorded_reading}" if recorded_reading
                                     else "no recorded run has it yet."))
    if base_ok.status != "baseline trained":
        return "no reading: ALI itself did not train, so the ablation has no reference."
    if changed and all(d.estimate > 0 for d in changed):
        return (f"{where}; weakening the MI term measurably improves on ALI+MINE, so at "
                f"β = {beta:g} the term's pull costs accuracy.")
    if changed:
        return (f"{where}; weakening the MI term measurably changes ALI+MINE's accuracy (see "
                "the variants' sentences), so the term's size matters at this budget.")
    return (f"{where}; no variant ({', '.join(abl_models)}) measurably changes ALI+MINE's "
            "accuracy, so at this budget the size of the MI gradient does not decide it.")


def recorded_reading(rec: dict | None) -> str | None:
    """The ablation reading of a recorded run, if it has one."""
    return rec["results"]["results"].get("ablation_reading") if rec else None


def long_sizes(rec: dict | None) -> str:
    if rec is None:
        return "not recorded yet"
    done = rec["results"]["results"]["sizes"]
    return (f"{plural(len(rec['results']['seeds']), 'seed')}, {done['steps']} steps per "
            f"model, {done['n_test']} held-out images")
