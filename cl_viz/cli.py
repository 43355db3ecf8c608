"""`cl-viz` entry point: the app by default, subcommands for headless work."""

from __future__ import annotations

import argparse
import sys

from cl_viz import __version__
from cl_viz.core.config import CENTER_UPDATES, DATASETS, DEVICES, MODELS, OPTIMIZERS
from cl_viz.figure_command import add_figure_arguments


class OneLineParser(argparse.ArgumentParser):
    """Bad input gets one clear line on stderr and exit status 2, no usage dump."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="cl-viz", description="Watch center loss shape 2-D deep features, live.")
    parser.add_argument("--version", action="version", version=f"cl-viz {__version__}")
    add_gui_arguments(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    train = commands.add_parser("train", help="train headless and write metrics, features and a checkpoint",
                                description="Train without a window; write DIR/metrics.json, "
                                            "DIR/features.npz and DIR/checkpoint.pt.")
    add_train_arguments(train)
    figure = commands.add_parser("figure", help="render the λ grid (the paper's Fig. 3) to an image, headless",
                                 description="Train one network per λ from the same start on the same batches, "
                                             "then draw them side by side on one scale with the app's plots.")
    add_figure_arguments(figure)
    replay = commands.add_parser("replay", help="open a recorded run (.clviz) in the app",
                                 description="Play back a run recorded by `cl-viz train --record` or File > Save.")
    source = replay.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", metavar="FILE.clviz", help="the recording")
    source.add_argument("--example", metavar="NAME", help="one of the recordings shipped with cl-viz")
    replay.add_argument("--present", action="store_true", help="start in presentation mode (F5 toggles it)")
    return parser


def add_gui_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("app (no COMMAND)")
    group.add_argument("--dataset", choices=DATASETS, help="dataset to preselect (default: MNIST if cached, else digits)")
    group.add_argument("--data-dir", metavar="DIR", help="folder of IDX files to use as the dataset")
    group.add_argument("--model", choices=MODELS, help="network to preselect")
    group.add_argument("--lambda", dest="lam", type=float, metavar="λ", help="center-loss weight λ")
    group.add_argument("--alpha", type=float, metavar="α", help="center learning rate α in [0, 1]")
    group.add_argument("--lr", type=float, help="learning rate of the network")
    group.add_argument("--device", choices=DEVICES, help="training device")
    group.add_argument("--seed", type=int, help="random seed (weights and batch order)")
    group.add_argument("--compare", action="store_true", help="train a softmax-only run beside it")
    group.add_argument("--autostart", action="store_true", help="start training at once")
    group.add_argument("--present", action="store_true", help="start in presentation mode (F5 toggles it)")


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", choices=DATASETS, default="auto",
                      help="auto: MNIST if cached, else the built-in digits (default: auto)")
    data.add_argument("--data-dir", metavar="DIR", help="folder of IDX files (train-images-idx3-ubyte[.gz], ...)")
    data.add_argument("--probe-size", type=int, metavar="N",
                      help="test images embedded for metrics and features.npz (default: 2000 on CPU, all on GPU)")
    model = parser.add_argument_group("model")
    model.add_argument("--model", choices=MODELS, default="tiny", help="network (default: tiny)")
    model.add_argument("--feat-dim", type=int, default=2, choices=(2, 3), help="feature dimension (default: 2)")
    model.add_argument("--no-bias", action="store_true", help="classifier without bias (lenet++ and tiny default)")
    model.add_argument("--bias", action="store_true", help="classifier with bias (seed default)")
    loss = parser.add_argument_group("loss (paper units: L = L_S + λ·L_C)")
    loss.add_argument("--loss", choices=("softmax", "center"), default="center",
                      help="softmax: λ = 0 (centers still tracked); center: joint supervision (default)")
    loss.add_argument("--lambda", dest="lam", type=float, metavar="λ", help="center-loss weight (default: 0.01)")
    loss.add_argument("--alpha", type=float, metavar="α", help="center learning rate in [0, 1] (default: 0.5)")
    loss.add_argument("--center-update", choices=CENTER_UPDATES, default="paper",
                      help="paper: Eq. 4; sgd: centers as parameters with SGD at rate α (default: paper)")
    optim = parser.add_argument_group("optimisation")
    optim.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd",
                       help="sgd (momentum 0.9, weight decay 5e-4) or adam (default: sgd)")
    optim.add_argument("--lr", type=float, help="learning rate (default: 0.01)")
    optim.add_argument("--batch-size", type=int, default=128, help="mini-batch size m (default: 128)")
    length = optim.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="optimizer steps (default: 1000)")
    length.add_argument("--epochs", type=float, help="passes over the training split")
    optim.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    optim.add_argument("--device", choices=DEVICES, default="auto", help="auto: cuda, then mps, then cpu")
    run = parser.add_argument_group("run")
    run.add_argument("--eval-every", type=int, default=100, metavar="N",
                     help="embed the probe set and record metrics every N steps (default: 100)")
    run.add_argument("--resume", metavar="CHECKPOINT", help="continue from a checkpoint.pt")
    run.add_argument("--compare", action="store_true",
                     help="also train a softmax-only twin (λ = 0) in lockstep; recorded beside the run")
    run.add_argument("--record", metavar="FILE.clviz", help="also record the run for `cl-viz replay`")
    run.add_argument("--record-every", type=int, default=5, metavar="N",
                     help="record a frame every N steps (default: 5; at most 600 frames are kept, evenly thinned)")
    run.add_argument("--out", metavar="DIR", help="output folder (default: cl-viz-runs/<dataset>-<loss>-<time>)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "train":
        from cl_viz.train_command import run_train

        return run_train(args)
    if args.command == "replay":
        from cl_viz.qt.app import run_replay

        return run_replay(args)
    if args.command == "figure":
        from cl_viz.figure_command import run_figure

        return run_figure(args)
    from cl_viz.qt.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
