"""Every flag of `cl-viz` and its commands, in one place, with choices and defaults from the core.

Importing this module (as `cl-viz --help` does) must not import torch: the names and defaults come
from torch-free modules.
"""

from __future__ import annotations

import argparse

from cl_viz import __version__
from cl_viz.core.config import (
    CENTER_UPDATES,
    CHANNELS,
    DATASET_NAMES,
    DATASETS,
    DEFAULT_INPUT,
    DEFAULT_WORKER_MODE,
    DEFAULTS,
    DEVICES,
    IMAGE_SIZES,
    INITS,
    MODELS,
    NATIVE_INPUTS,
    OPTIMIZERS,
    PROBE_SPLITS,
    WORKER_MODE_VARIABLE,
    WORKER_MODES,
)
from cl_viz.core.lambdas import DEFAULT_LAMBDAS, GRID_SCALES
from cl_viz.core.margins import HEAD_INFO
from cl_viz.core.recipes import DEFAULT_RECIPE, DEFAULT_STEPS, OFFICIAL, RECIPES
from cl_viz.core.runs import DEFAULT_LOSS, LOSS_FAMILY, RUN_NAMES
from cl_viz.core.timeline import TIMELINE_FRAMES

RECIPE_HELP = (f"starting point for every setting not given as a flag: defaults (cl-viz's stable defaults) or "
               f"official ({OFFICIAL.title}) (default: defaults)")
LOSS_HELP = ("softmax: λ = 0 (centers still tracked); center: joint supervision, softmax + λ·L_C; normface, "
             "sphereface, cosface, arcface: the angular heads, each with the settings it trains with (see --scale, "
             "--margin); HEAD+center adds λ·L_C to a head")
LOSSES_HELP = (f"train these runs side by side from the same start on the same batches (at most 9; e.g. "
               f"{' '.join(LOSS_FAMILY)})")
RECORD_EVERY = 5
EVAL_EVERY = 100
FIGURE_SIZE = "1500x900"
CHECK_SECONDS, CHECK_MIN_SECONDS, CHECK_MAX_SECONDS = 15.0, 1.0, 600.0


class OneLineParser(argparse.ArgumentParser):
    """Bad input gets one clear line on stderr and exit status 2, no usage dump."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="cl-viz", description="Watch center loss shape 2-D deep features, live.")
    parser.add_argument("--version", action="version", version=f"cl-viz {__version__}")
    add_gui_arguments(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_train_arguments(commands.add_parser(
        "train", help="train headless and write metrics, features and a checkpoint",
        description="Train without a window; write DIR/metrics.json, DIR/features.npz and DIR/checkpoint.pt."))
    add_figure_arguments(commands.add_parser(
        "figure", help="render the λ grid (the paper's Fig. 3) to an image, headless",
        description="Train one network per λ from the same start on the same batches, then draw them side by "
                    "side with the app's plots."))
    add_replay_arguments(commands.add_parser(
        "replay", help="open a recorded run (.clviz) in the app",
        description="Play back a run recorded by `cl-viz train --record` or File > Save."))
    add_check_arguments(commands.add_parser(
        "check", help="is this machine ready for the lecture? versions, device, datasets, a measured run",
        description="Report the Qt platform and screen, the versions, the device and the cached datasets, then "
                    "measure the default lesson: a third of the time headless, the rest in the app's window. "
                    "Ends with a verdict; exit status 0 unless something is broken (1)."))
    return parser


def add_gui_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("app (no COMMAND)")
    group.add_argument("--dataset", choices=DATASETS,
                       help="dataset to preselect (default: MNIST if cached, else digits)")
    group.add_argument("--data-dir", metavar="DIR",
                       help="folder of IDX files, or of images in class subfolders, to use as the dataset")
    group.add_argument("--model", choices=MODELS, help="network to preselect")
    add_input_arguments(group)
    add_open_set_arguments(group, "drawn hollow; View > Open set shows AUROC, OSCR, verification")
    add_probe_argument(group)
    group.add_argument("--feat-dim", type=int, choices=(2, 3), help="feature dimension (3: drawn on a sphere)")
    group.add_argument("--loss", choices=RUN_NAMES, metavar="LOSS",
                       help=f"start with this loss and the settings its head trains with (optimizer, learning "
                            f"rate, s, m); flags given beside it win: {', '.join(RUN_NAMES)}")
    group.add_argument("--lambda", dest="lam", type=float, metavar="λ", help="center-loss weight λ")
    group.add_argument("--alpha", type=float, metavar="α", help="center learning rate α in [0, 1]")
    group.add_argument("--lr", type=float, help=f"learning rate of the network (default: {DEFAULTS.lr:g})")
    group.add_argument("--device", choices=DEVICES, help="training device")
    group.add_argument("--seed", type=int, help="random seed (weights and batch order)")
    group.add_argument("--recipe", choices=tuple(RECIPES), help="start from this recipe's settings (see train --help)")
    group.add_argument("--compare", action="store_true", help="train a softmax-only run beside it")
    group.add_argument("--losses", nargs="+", choices=RUN_NAMES, metavar="LOSS",
                       help=f"open the loss family window: {LOSSES_HELP}")
    add_head_arguments(group)
    group.add_argument("--autostart", action="store_true", help="start training at once")
    group.add_argument("--present", action="store_true", help="start in presentation mode (F5 toggles it)")
    group.add_argument("--worker", choices=WORKER_MODES,
                       help=f"where training runs: in a process of its own, so that drawing never slows it, or in a "
                            f"thread of the window's process (default: ${WORKER_MODE_VARIABLE}, else "
                            f"{DEFAULT_WORKER_MODE})")


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = DEFAULTS
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", choices=DATASETS, default=defaults.dataset,
                      help="auto: MNIST if cached, else the built-in digits (default: auto)")
    data.add_argument("--data-dir", metavar="DIR",
                      help="folder of IDX files (train-images-idx3-ubyte[.gz], ...) or of images in class subfolders "
                           "(DIR/CLASS/*.png|jpg, or DIR/train/CLASS/… and DIR/test/CLASS/…)")
    add_input_arguments(data)
    data.add_argument("--probe-size", type=int, metavar="N",
                      help="images embedded for metrics and features.npz (default: 2000 on CPU, as many as the test "
                           "split holds on GPU)")
    add_probe_argument(data)
    add_open_set_arguments(data, "AUROC, OSCR and verification in metrics.json")
    model = parser.add_argument_group("model")
    model.add_argument("--model", choices=MODELS, help=f"network (default: {defaults.model})")
    model.add_argument("--feat-dim", type=int, choices=(2, 3), help=f"feature dimension (default: {defaults.feat_dim})")
    model.add_argument("--no-bias", action="store_true", help="classifier without bias (lenet++ and tiny default)")
    model.add_argument("--bias", action="store_true", help="classifier with bias (seed default)")
    model.add_argument("--init", choices=INITS, help=f"initial weights: PyTorch's default or caffe-face's Xavier "
                                                      f"filler (default: {defaults.init})")
    loss = parser.add_argument_group("loss (paper units: L = L_S + λ·L_C)")
    loss.add_argument("--loss", choices=RUN_NAMES, default=DEFAULT_LOSS, metavar="LOSS",
                      help=f"{LOSS_HELP} (default: {DEFAULT_LOSS}; choices: {', '.join(RUN_NAMES)})")
    loss.add_argument("--losses", nargs="+", choices=RUN_NAMES, metavar="LOSS",
                      help=f"{LOSSES_HELP}; writes DIR/LOSS/metrics.json, features.npz and checkpoint.pt for each")
    loss.add_argument("--lambda", dest="lam", type=float, metavar="λ",
                      help=f"center-loss weight (default: {defaults.lam:g})")
    loss.add_argument("--alpha", type=float, metavar="α",
                      help=f"center learning rate in [0, 1] (default: {defaults.alpha:g})")
    loss.add_argument("--center-update", choices=CENTER_UPDATES,
                      help="paper: Eq. 4; sgd: centers as parameters with SGD at rate α (default: paper)")
    add_head_arguments(loss)
    optim = parser.add_argument_group("optimisation")
    optim.add_argument("--recipe", choices=tuple(RECIPES), default=DEFAULT_RECIPE, help=RECIPE_HELP)
    optim.add_argument("--optimizer", choices=OPTIMIZERS,
                       help="sgd (momentum 0.9, weight decay 5e-4) or adam (default: sgd)")
    optim.add_argument("--lr", type=float, help=f"learning rate (default: {defaults.lr:g})")
    optim.add_argument("--warmup-steps", type=int, metavar="N",
                       help=f"not in the paper: the learning rate ramps up linearly over the first N steps "
                            f"(default: {defaults.warmup_steps}; 0: off)")
    optim.add_argument("--clip-norm", type=float, metavar="NORM",
                       help=f"not in the paper: clip the network's gradient norm to NORM before each step "
                            f"(default: {defaults.clip_norm:g}; 0: off)")
    optim.add_argument("--batch-size", type=int, help=f"mini-batch size m (default: {defaults.batch_size})")
    length = optim.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int,
                        help=f"optimizer steps (default: {DEFAULT_STEPS}; {OFFICIAL.steps:,} with --recipe official)")
    length.add_argument("--epochs", type=float, help="passes over the training split")
    optim.add_argument("--seed", type=int, help=f"random seed (default: {defaults.seed})")
    optim.add_argument("--device", choices=DEVICES, help="auto: cuda, then mps, then cpu (default: auto)")
    run = parser.add_argument_group("run")
    run.add_argument("--eval-every", type=int, default=EVAL_EVERY, metavar="N",
                     help=f"embed the probe set and record metrics every N steps (default: {EVAL_EVERY})")
    run.add_argument("--resume", metavar="CHECKPOINT", help="continue from a checkpoint.pt")
    run.add_argument("--compare", action="store_true",
                     help="also train a softmax-only twin (λ = 0) in lockstep; recorded beside the run")
    run.add_argument("--record", metavar="FILE.clviz", help="also record the run for `cl-viz replay`")
    run.add_argument("--record-every", type=int, default=RECORD_EVERY, metavar="N",
                     help=f"record a frame every N steps (default: {RECORD_EVERY}; at most {TIMELINE_FRAMES} "
                          f"frames are kept, evenly thinned)")
    run.add_argument("--out", metavar="DIR", help="output folder (default: cl-viz-runs/<dataset>-<loss>-<time>)")
    run.add_argument("--nproc", type=int, metavar="N",
                     help="data parallel: N processes on this machine (torch.distributed; gloo on CPU, nccl on "
                          "CUDA), each with 1/N of every batch; the same as torchrun --nproc-per-node N -m cl_viz "
                          "train …")


def add_input_arguments(group) -> None:
    natives = ", ".join(f"{name} {size}" for name, (size, _) in NATIVE_INPUTS.items())
    coloured = ", ".join(name for name, (_, channels) in NATIVE_INPUTS.items() if channels == 3)
    group.add_argument("--image-size", type=int, metavar="S",
                       help=f"the network's input is S×S pixels, {IMAGE_SIZES[0]} to {IMAGE_SIZES[1]}: every image is "
                            f"resized to it (default: the dataset's own, {natives}, else {DEFAULT_INPUT[0]})")
    group.add_argument("--channels", type=int, choices=CHANNELS,
                       help=f"1: grey, 3: colour; grey images are repeated into 3 channels, colour ones turned grey "
                            f"(default: the dataset's own, 3 for {coloured}, else {DEFAULT_INPUT[1]})")


def add_probe_argument(group) -> None:
    group.add_argument("--probe", dest="probe_split", choices=PROBE_SPLITS,
                       help=f"the images the plots and metrics embed: test (held out, never trained on) or train (the "
                            f"ones the network learns from, as the paper's Fig. 2 shows both) (default: "
                            f"{DEFAULTS.probe_split})")


def add_open_set_arguments(group, figures: str) -> None:
    group.add_argument("--unknown-classes", type=int, nargs="+", metavar="ID",
                       help=f"open set: hold these classes out of training; their test images join the probe set as "
                            f"unknowns ({figures}), e.g. 6 7 8 9")
    group.add_argument("--unknown-dataset", choices=DATASET_NAMES,
                       help="open set: this dataset's test images join the probe set as unknowns")


def add_head_arguments(group) -> None:
    arcface, cosface = HEAD_INFO["arcface"].settings, HEAD_INFO["cosface"].settings
    group.add_argument("--scale", type=float, metavar="S",
                       help=f"s of normface, cosface and arcface (default: the head's, {arcface['scale']:g})")
    group.add_argument("--margin", type=float, metavar="M",
                       help=f"m: a cosine for cosface (default {cosface['margin']:g}), radians for arcface (default "
                            f"{arcface['margin']:g}), a whole multiple of the angle for sphereface (default "
                            f"{HEAD_INFO['sphereface'].settings['margin']:g})")
    group.add_argument("--margin-warmup-steps", type=int, metavar="N",
                       help=f"m ramps linearly from 0 over the first N steps (cosface, arcface; default: "
                            f"{arcface['margin_warmup_steps']})")


def add_figure_arguments(parser: argparse.ArgumentParser) -> None:
    lambdas = [f"{lam:g}" for lam in DEFAULT_LAMBDAS]
    parser.add_argument("--out", required=True, metavar="FILE.png", help="image to write (.png, .jpg, .bmp)")
    runs = parser.add_mutually_exclusive_group()
    runs.add_argument("--lambdas", nargs="+", metavar="λ",
                      help=f"one network per λ (default: {' '.join(lambdas)}, as in the paper's Fig. 3)")
    runs.add_argument("--losses", nargs="+", choices=RUN_NAMES, metavar="LOSS",
                      help=f"one network per loss: {LOSSES_HELP}")
    parser.add_argument("--feat-dim", type=int, choices=(2, 3),
                        help=f"feature dimension (default: {DEFAULTS.feat_dim})")
    parser.add_argument("--lambda", dest="lam", type=float, metavar="λ",
                        help=f"λ of the runs with center loss, with --losses (default: {DEFAULTS.lam:g})")
    add_head_arguments(parser)
    parser.add_argument("--recipe", choices=tuple(RECIPES), default=DEFAULT_RECIPE, help=RECIPE_HELP)
    parser.add_argument("--steps", type=int, help=f"optimizer steps for every network (default: {DEFAULT_STEPS}; "
                                                  f"{OFFICIAL.steps:,} with --recipe official)")
    parser.add_argument("--dataset", choices=DATASETS, default="auto", help="dataset (default: auto)")
    parser.add_argument("--data-dir", metavar="DIR", help="folder of IDX files, or of images in class subfolders")
    parser.add_argument("--model", choices=MODELS, help=f"network (default: {DEFAULTS.model})")
    parser.add_argument("--alpha", type=float, help=f"center learning rate α (default: {DEFAULTS.alpha:g})")
    parser.add_argument("--lr", type=float, help=f"learning rate (default: {DEFAULTS.lr:g})")
    parser.add_argument("--seed", type=int, help=f"random seed (default: {DEFAULTS.seed})")
    parser.add_argument("--device", choices=DEVICES, default="auto", help="training device (default: auto)")
    parser.add_argument("--size", default=FIGURE_SIZE, metavar="WxH",
                        help=f"image size in pixels (default: {FIGURE_SIZE})")
    parser.add_argument("--axes", choices=GRID_SCALES, default=GRID_SCALES[0],
                        help="own: each plot zoomed to its own features, so that their shapes compare; shared: one "
                             "scale for all, so that the features are seen to shrink as λ grows (default: own)")


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=_positive_seconds, default=CHECK_SECONDS, metavar="N",
                        help=f"length of the measured run, the window's start-up not counted (default: "
                             f"{CHECK_SECONDS:g})")
    parser.add_argument("--model", choices=MODELS, default=DEFAULTS.model,
                        help=f"network of the measured run (default: {DEFAULTS.model}, the app's default)")
    parser.add_argument("--device", choices=DEVICES, default=DEFAULTS.device,
                        help="training device of the measured run (default: auto: cuda, then mps, then cpu)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not CHECK_MIN_SECONDS <= value <= CHECK_MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"must be between {CHECK_MIN_SECONDS:g} and {CHECK_MAX_SECONDS:g} seconds, "
                                         f"got {text}")
    return value


def add_replay_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", metavar="FILE.clviz", help="the recording")
    source.add_argument("--example", metavar="NAME", help="one of the recordings shipped with cl-viz")
    parser.add_argument("--present", action="store_true", help="start in presentation mode (F5 toggles it)")
