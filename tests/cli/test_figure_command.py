"""`cl-viz figure`: its output place is checked before training, and the image is written atomically."""

import numpy as np
import pytest
from PIL import Image

from cl_viz.cli.main import main

QUICK = ["--dataset", "digits", "--steps", "1", "--lambdas", "0", "0.1", "--device", "cpu", "--size", "600x300"]


@pytest.mark.parametrize("out, message", [
    ("/proc/cl-viz/grid.png", "cannot write to the folder /proc/cl-viz"),
    ("a file/grid.png", "is a file, not a folder"),
    ("a folder.png", "is a folder; name a file"),
])
def test_an_unwritable_place_is_refused_before_training(tmp_path, capsys, out, message):
    (tmp_path / "a file").write_text("x")
    (tmp_path / "a folder.png").mkdir()
    target = out if out.startswith("/") else str(tmp_path / out)
    assert main(["figure", "--out", target, *QUICK]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("cl-viz figure: error: ") and message in captured.err


def test_a_full_disk_keeps_the_previous_image(tiny_tmpfs, capsys):
    image = tiny_tmpfs / "grid.png"
    image.write_bytes(b"previous image")
    (tiny_tmpfs / "filler").write_bytes(bytes(40 * 1024))
    assert main(["figure", "--out", str(image), *QUICK]) == 2
    assert capsys.readouterr().err.endswith(f"cannot write {image}: No space left on device\n")
    assert image.read_bytes() == b"previous image"
    assert sorted(path.name for path in tiny_tmpfs.iterdir()) == ["filler", "grid.png"]


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".jpg", b"\xff\xd8\xff"), (".bmp", b"BM")])
def test_each_format_is_written_whole(tmp_path, suffix, magic):
    out = tmp_path / "figures" / f"grid{suffix}"
    assert main(["figure", "--out", str(out), *QUICK]) == 0
    assert out.read_bytes().startswith(magic) and [path.name for path in out.parent.iterdir()] == [out.name]


def test_figure_command_renders_the_grid(tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["figure", "--out", str(out), "--dataset", "digits", "--steps", "3", "--lambdas", "0", "0.01",
                 "0.1", "--device", "cpu", "--size", "900x400"]) == 0
    image = Image.open(out)
    assert image.size == (900, 400)
    colours = np.asarray(image.convert("RGB")).reshape(-1, 3)
    assert len(np.unique(colours, axis=0)) > 50  # points, markers and text, not a blank canvas


@pytest.mark.parametrize("flags, message", [
    (["--out", "x.gif"], "--out must end with"),
    (["--out", "x.png", "--lambdas", "-1"], "≥ 0"),
    (["--out", "x.png", "--size", "big"], "--size must look like"),
])
def test_figure_command_rejects_bad_input(tmp_path, capsys, flags, message):
    assert main(["figure", *flags]) == 2
    assert message in capsys.readouterr().err


def test_figure_gives_each_plot_its_own_scale_unless_told_to_share_one(tmp_path, capsys):
    from cl_viz.cli.arguments import build_parser

    assert build_parser().parse_args(["figure", "--out", "x.png"]).axes == "own"
    assert main(["figure", "--out", str(tmp_path / "own.png"), *QUICK]) == 0
    assert "each plot its own scale" in capsys.readouterr().out
    assert main(["figure", "--out", str(tmp_path / "shared.png"), *QUICK, "--axes", "shared"]) == 0
    assert "one shared scale" in capsys.readouterr().out
    with pytest.raises(SystemExit) as leaving:
        main(["figure", "--out", str(tmp_path / "x.png"), *QUICK, "--axes", "log"])
    assert leaving.value.code == 2 and "invalid choice: 'log'" in capsys.readouterr().err
