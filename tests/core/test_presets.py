"""Lesson presets: they load, they are validated, and each one produces the effect it names."""

import re

import numpy as np
import pytest

from cl_viz.core.errors import ClVizError
from cl_viz.core.margins import feasible_margin
from cl_viz.core.presets import (
    PRESET_BASE,
    builtin_preset_dir,
    check_effect,
    list_presets,
    load_preset,
    measure,
    scan_presets,
    user_preset_dir,
)
from cl_viz.core.runner import LockstepRun
from cl_viz.core.runs import for_head
from cl_viz.core.session import TrainingSession

BUILTIN = ["01-softmax-only", "02-official-center-loss", "03-lambda-too-large", "04-center-loss-alone",
           "05-frozen-centers", "06-relu-features", "07-ring-without-bias", "08-classifier-bias",
           "09-lecture-notes", "10-arcface-margin-warm-up", "11-cosface-margin-bound", "12-sphereface-annealing",
           "13-the-loss-family", "14-unknown-digits", "15-unknowns-from-another-dataset",
           "16-verification-on-unseen-digits", "17-training-images"]
SEED_MODEL_PRESET = "09-lecture-notes"  # the seed model is slow on a CPU: its effect is checked as slow
MINIMAL = 'title = "T"\ndescription = "One. Two."\n'


@pytest.fixture(autouse=True)
def empty_user_presets(tmp_path, monkeypatch):
    folder = tmp_path / "user-presets"
    monkeypatch.setenv("CL_VIZ_PRESETS", str(folder))
    return folder


class Runs:
    """Trains each configuration once on digits and keeps its snapshots by step: presets that share a
    run (softmax only is also the official preset's twin) share the cost."""

    def __init__(self, dataset):
        self.dataset = dataset
        self.sessions = {}
        self.snapshots = {}

    def snapshot(self, config, step):
        config = config.replace(dataset="digits", device="cpu", probe_size=200)
        if (config, step) not in self.snapshots:
            session = self.sessions.get(config)
            if session is None or session.step > step:
                session = self.sessions[config] = TrainingSession(config, self.dataset)
            while session.step < step:
                session.train_step()
            self.snapshots[config, step] = session.snapshot(include_batch=False)
        return self.snapshots[config, step]

    def outcome(self, preset):
        """Snapshots at the start and after expect.steps, with the softmax-only twin's when comparing."""
        steps = preset.expect["steps"]
        start = self.snapshot(preset.config, 0)
        end = self.snapshot(preset.config, steps)
        twin = self.snapshot(preset.config.replace(lam=0.0), steps) if preset.compare else None  # as LockstepRun
        return start, end, twin


@pytest.fixture(scope="module")
def runs(digits):
    return Runs(digits)


@pytest.fixture(scope="module")
def presets():
    return {preset.name: preset for preset in list_presets(builtin_preset_dir())}


def sentences(text):
    return re.split(r"(?<=[.!?])\s+(?=[A-Z])", text)


# ----- the shipped presets ------------------------------------------------------------------------
def test_every_builtin_preset_loads_in_order_with_a_checkable_effect(presets):
    assert list(presets) == BUILTIN
    assert [p.name for p in list_presets()] == BUILTIN  # merged with an empty user folder
    for preset in presets.values():
        assert preset.title and 2 <= len(sentences(preset.description)) <= 4, preset.name
        assert {"metric", "steps"} <= set(preset.expect), preset.name
        assert preset.config == preset.config.validated()


@pytest.mark.parametrize("name", [pytest.param(name, marks=[pytest.mark.slow] if name == SEED_MODEL_PRESET else [])
                                  for name in BUILTIN])
def test_preset_produces_the_effect_it_names(name, presets, runs):
    preset = presets[name]
    check = check_effect(preset.expect, *runs.outcome(preset))
    assert check.passed, f"{name}: {check.text}"


def test_softmax_only_gives_separable_petals_that_keep_growing(presets, runs):
    start, end, _ = runs.outcome(presets["01-softmax-only"])
    assert end.metrics.probe_accuracy >= 0.85  # measured 0.925–0.975 after 600 steps on seeds 0–5
    assert end.metrics.feature_norm >= 100 * start.metrics.feature_norm


def test_official_center_loss_compacts_without_costing_accuracy(presets, runs):
    _, center, softmax = runs.outcome(presets["02-official-center-loss"])
    assert center.metrics.ratio <= 0.8 * softmax.metrics.ratio  # measured 0.61–0.71 of it on seeds 0–5
    assert center.metrics.probe_accuracy >= softmax.metrics.probe_accuracy - 0.05  # 0.93–0.955 vs 0.925–0.975


def test_lambda_too_large_crushes_the_clusters_and_lags_in_accuracy(presets, runs):
    _, crushed, softmax = runs.outcome(presets["03-lambda-too-large"])
    # at step 300 on seeds 0–4: inter 0.03–0.06 of the twin's, accuracy 0.40–0.56 of it, L_S 1.9–2.0
    # (chance is ln 10 = 2.30) against the twin's 0.46–0.98
    assert crushed.metrics.inter <= 0.1 * softmax.metrics.inter
    assert crushed.metrics.probe_accuracy <= 0.75 * softmax.metrics.probe_accuracy
    assert crushed.loss_softmax >= 1.5 and crushed.loss_softmax >= 1.5 * softmax.loss_softmax


def test_center_loss_alone_collapses_to_one_point_at_chance_accuracy(presets, runs):
    start, end, _ = runs.outcome(presets["04-center-loss-alone"])
    assert end.metrics.intra <= 0.1 * start.metrics.intra  # measured 0.003 vs 0.069
    assert end.metrics.inter <= 0.01  # every center on the same spot (measured 0.002)
    assert end.metrics.probe_accuracy <= 0.2


def test_alpha_zero_keeps_every_center_exactly_at_the_origin(presets, runs):
    start, end, _ = runs.outcome(presets["05-frozen-centers"])
    assert not np.any(end.centers) and not np.any(start.centers)
    assert measure("center_shift", end, start) == 0.0


def test_relu_features_stay_in_the_first_quadrant(presets, runs):
    _, end, _ = runs.outcome(presets["06-relu-features"])
    assert end.features.min() >= 0.0
    assert (end.features > 0).any()


def test_the_bias_preset_differs_from_the_ring_preset_only_in_the_bias(presets, runs):
    ring, bias = presets["07-ring-without-bias"], presets["08-classifier-bias"]
    assert ring.config.replace(bias=True) == bias.config and ring.expect["steps"] == bias.expect["steps"]
    ring_cv = measure("center_norm_cv", runs.outcome(ring)[1])
    bias_cv = measure("center_norm_cv", runs.outcome(bias)[1])
    assert bias_cv >= 2 * ring_cv  # measured 0.351 vs 0.092 at step 400 (seed 8)


def test_the_cosface_preset_asks_for_more_than_2d_allows_and_the_arcface_one_for_less(presets):
    cosface, arcface = presets["11-cosface-margin-bound"].config, presets["10-arcface-margin-warm-up"].config
    assert cosface.margin > feasible_margin("cosface", 10, cosface.feat_dim)
    assert arcface.margin < feasible_margin("arcface", 10, arcface.feat_dim)
    for preset in ("10-arcface-margin-warm-up", "11-cosface-margin-bound", "12-sphereface-annealing"):
        config = presets[preset].config
        own = for_head(config, config.head).replace(lam=0.0, margin=config.margin)  # the head's own settings
        assert config == own, preset


def test_the_ideal_ten_class_arrangement_cannot_take_cosfaces_margin_below_the_presets_bound(presets):
    config = presets["11-cosface-margin-bound"].config
    cosines = np.cos(2 * np.pi * np.arange(10) / 10)  # a feature on its class direction, the others around
    logits = config.scale * np.where(np.arange(10) == 0, cosines - config.margin, cosines)
    floor = float(np.log(np.exp(logits).sum()) - logits[0])
    assert floor == pytest.approx(2.39, abs=0.01) and floor > presets["11-cosface-margin-bound"].expect["at_least"]


def test_lecture_notes_preset_matches_the_notes_and_trains_the_seed_model(presets, digits):
    preset = presets[SEED_MODEL_PRESET]
    config = preset.config
    assert (config.model, config.batch_size, config.optimizer, config.lr, config.momentum) == ("seed", 32, "sgd",
                                                                                               0.01, 0.0)
    assert (config.weight_decay, config.bias, config.center_update, config.alpha, config.lam) == (0.0, True, "sgd",
                                                                                                 0.01, 1.0)
    run = LockstepRun(config.replace(dataset="digits", device="cpu", probe_size=10), preset.compare, digits)
    for _ in range(2):
        run.train_step()
    frame = run.frame(include_batch=False)
    assert frame.step == 2 and frame.is_finite
    assert np.any(frame.primary.centers)  # centers as parameters, moved by their own SGD


# ----- loading and validation ---------------------------------------------------------------------
def write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_unspecified_fields_take_the_app_defaults_and_integers_become_floats(tmp_path):
    preset = load_preset(write(tmp_path, "mine.toml", MINIMAL + "[config]\nlam = 1\n"))
    assert preset.name == "mine" and preset.config == PRESET_BASE.replace(lam=1.0)
    assert isinstance(preset.config.lam, float)
    assert (preset.compare, preset.hide, preset.expect) == (False, (), {})
    assert preset.description == "One. Two."


@pytest.mark.parametrize("text, problem", [
    (MINIMAL + "colour = 'red'\n", "unknown field(s) colour"),
    ('title = "T"\n', "missing field 'description'"),
    (MINIMAL + "[config]\nlamda = 0.1\n", "config: unknown field(s) lamda"),
    (MINIMAL + "[config]\nlr = 'fast'\n", "config.lr must be a number, got 'fast'"),
    (MINIMAL + "[config]\nlam = true\n", "config.lam must be a number"),
    (MINIMAL + "[config]\nbias = 1\n", "config.bias must be true or false"),
    (MINIMAL + "[config]\nalpha = 2.0\n", "α (alpha) must be in [0, 1], got 2"),
    (MINIMAL + "[config]\nmodel = 'resnet'\n", "unknown model 'resnet'"),
    (MINIMAL + "compare = 'yes'\n", "compare must be true or false"),
    (MINIMAL + "steps_hint = 0\n", "steps_hint must be ≥ 1"),
    (MINIMAL + "hide = ['lambda']\n", "hide: unknown control 'lambda'"),
    (MINIMAL + "[expect]\nmetric = 'beauty'\nat_most = 1\n", "unknown measure 'beauty'"),
    (MINIMAL + "[expect]\nmetric = 'ratio'\n", "expect needs at_most, at_least or both"),
    (MINIMAL + "[expect]\nmetric = 'ratio'\nrelative_to = 'twin'\nat_most = 1\n", "needs compare = true"),
    (MINIMAL + "title = 'again'\n", "not valid TOML"),
    ('title = "unclosed\n', "not valid TOML"),
])
def test_a_bad_preset_is_one_clear_error_naming_the_file(tmp_path, text, problem):
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(ClVizError) as error:
        load_preset(path)
    assert str(path) in str(error.value) and problem in str(error.value)


def test_a_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('title = "Größe"\n'.encode("latin-1"))
    with pytest.raises(ClVizError, match="latin1.toml: not valid TOML"):
        load_preset(path)


def test_a_missing_file_or_unknown_name_is_a_clear_error(tmp_path):
    with pytest.raises(ClVizError, match=r"preset .*nowhere.toml: cannot be read \(No such file"):
        load_preset(tmp_path / "nowhere.toml")
    with pytest.raises(ClVizError, match="no preset named 'nope'; available: 01-softmax-only"):
        load_preset("nope")


def test_presets_load_by_name_with_or_without_their_number():
    assert load_preset("softmax-only").name == load_preset("01-softmax-only").name == "01-softmax-only"


def test_a_folder_is_listed_in_numeric_then_name_order(tmp_path):
    for name in ("10-late.toml", "2-early.toml", "notes.toml", "Alpha.toml"):
        write(tmp_path, name, MINIMAL)
    write(tmp_path, "README.md", "not a preset")
    assert [p.name for p in list_presets(tmp_path)] == ["2-early", "10-late", "Alpha", "notes"]


def test_user_presets_join_the_builtin_ones_and_override_them_by_name(empty_user_presets):
    write(empty_user_presets, "01-softmax-only.toml", 'title = "Mine"\ndescription = "Mine. Really."\n')
    write(empty_user_presets, "20-extra.toml", MINIMAL)
    presets = {p.name: p for p in list_presets()}
    assert list(presets) == BUILTIN + ["20-extra"]
    assert presets["01-softmax-only"].title == "Mine"
    assert load_preset("softmax-only").title == "Mine"


def test_a_broken_user_preset_is_reported_without_hiding_the_others(empty_user_presets):
    path = write(empty_user_presets, "50-broken.toml", "title = ")
    write(empty_user_presets, "40-typed.toml", MINIMAL + "[config]\nseed = -1\n")
    write(empty_user_presets, "60-good.toml", MINIMAL)
    presets, problems = scan_presets()
    assert [p.name for p in presets] == BUILTIN + ["60-good"]
    assert [problem.path.name for problem in problems] == ["40-typed.toml", "50-broken.toml"]
    assert problems[0].reason == "seed must be in [0, 4294967295], got -1"
    assert problems[1].reason.startswith("not valid TOML: ") and str(path) in str(problems[1])
    with pytest.raises(ClVizError, match="40-typed"):
        list_presets()


def test_user_preset_dir_follows_the_environment(tmp_path, monkeypatch):
    assert user_preset_dir() == tmp_path / "user-presets"
    monkeypatch.delenv("CL_VIZ_PRESETS")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert user_preset_dir() == tmp_path / "xdg" / "cl-viz" / "presets"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_preset_dir() == tmp_path / "home" / ".config" / "cl-viz" / "presets"


def test_check_effect_reports_the_measured_value(presets, runs):
    preset = presets["06-relu-features"]
    start, end, _ = runs.outcome(preset)
    check = check_effect({"metric": "min_feature", "at_most": -1.0}, start, end)
    assert not check.passed and check.text.startswith("min_feature = ") and "expected ≤ -1" in check.text
    with pytest.raises(ValueError, match="twin"):
        check_effect({"metric": "ratio", "relative_to": "twin", "at_most": 1.0}, start, end)


def test_a_presets_loss_list_is_checked(tmp_path):
    path = tmp_path / "family.toml"
    path.write_text(MINIMAL + 'losses = ["softmax", "tanface"]\n', encoding="utf-8")
    with pytest.raises(ClVizError, match="unknown loss 'tanface'"):
        load_preset(path)
