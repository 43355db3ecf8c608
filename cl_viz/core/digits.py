"""scikit-learn's 1,797 real handwritten digits, read from the file scikit-learn ships, without importing it.

Importing scikit-learn (and SciPy under it) takes ~2 s here, a third of the wait for the app's first run
on its default dataset. The 8x8 images come from sklearn/datasets/data/digits.csv.gz (what load_digits
reads) and the split is the one `train_test_split(np.arange(1797), test_size=0.25, random_state=0,
stratify=target)` gives, in its order, kept in resources/datasets/digits-split.npz;
tests/test_data.py checks both against scikit-learn itself.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from cl_viz.core.errors import ClVizError
from cl_viz.core.resources import resource_dir

COUNT = 1797
SPLIT_FILE = "datasets/digits-split.npz"


def digits_file() -> Path:
    """sklearn/datasets/data/digits.csv.gz, found without importing scikit-learn."""
    spec = importlib.util.find_spec("sklearn")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            return path
    raise ClVizError("the digits dataset needs scikit-learn, which ships it; install it with pip install scikit-learn")


def load_digit_arrays() -> tuple[np.ndarray, np.ndarray]:
    """(images (1797, 8, 8) float64 with values 0..16, labels (1797,) int64)."""
    path = digits_file()
    try:
        table = np.loadtxt(path, delimiter=",")
    except (OSError, ValueError, EOFError) as error:
        raise ClVizError(f"{path} cannot be read ({error}); reinstall scikit-learn") from None
    if table.shape != (COUNT, 65):
        raise ClVizError(f"{path} holds a table of shape {table.shape}, not the {COUNT} digits; reinstall scikit-learn")
    return table[:, :64].reshape(COUNT, 8, 8), table[:, 64].astype(np.int64)


def digits_split() -> tuple[np.ndarray, np.ndarray]:
    """(train indices, test indices), 1,347 and 450, as scikit-learn's stratified split orders them."""
    with np.load(resource_dir(SPLIT_FILE), allow_pickle=False) as split:
        return split["train"].astype(np.int64), split["test"].astype(np.int64)
