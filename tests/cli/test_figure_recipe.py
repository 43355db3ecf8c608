from cl_viz.cli.arguments import build_parser
from cl_viz.cli.figure import figure_config
from cl_viz.core.config import DEFAULTS
from cl_viz.core.recipes import OFFICIAL


def test_the_figure_trains_with_the_defaults_or_reproduces_the_official_recipe():
    parse = build_parser().parse_args
    assert figure_config(parse(["figure", "--out", "x.png"])) == DEFAULTS
    assert figure_config(parse(["figure", "--out", "x.png", "--recipe", "official"])) == OFFICIAL.config
    changed = figure_config(parse(["figure", "--out", "x.png", "--recipe", "official", "--model", "tiny",
                                   "--lr", "0.02", "--dataset", "digits"]))
    assert changed == OFFICIAL.config.replace(model="tiny", lr=0.02, dataset="digits")
