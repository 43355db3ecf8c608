"""`cl-viz`: the app by default, subcommands for headless work. Each command imports what it needs
only when it runs, so `cl-viz --help` and `cl-viz COMMAND --help` never import torch."""

from __future__ import annotations

import sys

from cl_viz.cli.arguments import build_parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "train":
        from cl_viz.cli.train import run_train

        return run_train(args)
    if args.command == "figure":
        from cl_viz.cli.figure import run_figure

        return run_figure(args)
    if args.command == "check":
        from cl_viz.cli.check import run_check

        return run_check(args)
    if args.command == "replay":
        from cl_viz.cli.replay import run_replay

        return run_replay(args)
    from cl_viz.qt.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
