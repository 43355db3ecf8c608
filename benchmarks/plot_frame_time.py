"""Frame time of FeaturePlot against a plain `pg.ScatterPlotItem.setData` per frame.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/plot_frame_time.py [--png demo.png]

One frame = the data update + `widget.grab()`. grab() renders the whole widget (plot, axes,
legend, title) synchronously into a new QPixmap through the normal paint path, so every frame
really paints; nothing is left for the event loop. Points do a random walk every frame, like
features during training, on 10 "softmax petal" clusters. Both widgets are 900 x 700; the baseline
keeps a fixed range (no autorange), FeaturePlot runs in its default follow mode.
Prints Markdown tables of median times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from cl_viz.qt.plot.feature_plot import FeaturePlot
from cl_viz.qt.plot.theme import class_colors

SIZE = (900, 700)
N_CLASSES = 10
POINT_COUNTS = (2_000, 10_000, 60_000)
FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def petals(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Radial clusters like 2-D softmax features: one ray per class, norms growing outwards."""
    labels = rng.integers(0, N_CLASSES, n)
    angle = 2 * np.pi * labels / N_CLASSES + rng.normal(0, 0.09, n)
    radius = rng.gamma(5.0, 1.0, n) * 6.0
    xy = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return xy + rng.normal(0, 1.2, (n, 2)), labels


def class_means(xy: np.ndarray, labels: np.ndarray) -> np.ndarray:
    counts = np.maximum(np.bincount(labels, minlength=N_CLASSES), 1)
    sums = np.stack([np.bincount(labels, xy[:, d], N_CLASSES) for d in range(2)], axis=1)
    return sums / counts[:, None]


def random_walk(xy: np.ndarray, labels: np.ndarray, rng: np.random.Generator, frames: int):
    """Yield `frames` successive (float32 positions, centers); every point moves every frame."""
    drift = 1.0 + 0.002 * np.arange(frames)  # norms grow slowly, as with softmax loss
    for t in range(frames):
        xy = xy + rng.normal(0, 0.05, xy.shape)
        points = (xy * drift[t]).astype(np.float32)  # what a torch snapshot delivers
        yield points, class_means(points, labels)


def show_widget(widget: QtWidgets.QWidget) -> None:
    widget.resize(*SIZE)
    widget.show()
    QtWidgets.QApplication.processEvents()


def time_frames(update, widget: QtWidgets.QWidget, frames, warmup: int = 3) -> dict[str, float]:
    """Median ms over the frames after `warmup`: update, total (update + grab), CPU total."""
    updates, totals, cpu = [], [], []
    for i, (points, centers) in enumerate(frames):
        cpu_start, start = time.process_time(), time.perf_counter()
        update(points, centers)
        middle = time.perf_counter()
        widget.grab()
        end, cpu_end = time.perf_counter(), time.process_time()
        if i >= warmup:
            updates.append(middle - start)
            totals.append(end - start)
            cpu.append(cpu_end - cpu_start)
    return {name: 1e3 * statistics.median(values)
            for name, values in (("update", updates), ("total", totals), ("cpu", cpu))}


def bench_feature_plot(n: int, frames: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    xy, labels = petals(n, rng)
    plot = FeaturePlot()
    plot.set_classes([str(k) for k in range(N_CLASSES)])
    show_widget(plot)

    def update(points: np.ndarray, centers: np.ndarray) -> None:
        plot.show_frame(points, labels, centers)

    result = time_frames(update, plot, random_walk(xy, labels, rng, frames))
    close(plot)
    return result


def bench_set_data(n: int, frames: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    xy, labels = petals(n, rng)
    widget = pg.PlotWidget()
    widget.disableAutoRange()
    widget.setRange(xRange=(-110, 110), yRange=(-85, 85), padding=0)
    scatter = pg.ScatterPlotItem(pxMode=True, size=4, pen=None)
    widget.addItem(scatter)
    class_brushes = [pg.mkBrush(*rgba) for rgba in class_colors(N_CLASSES, alpha=170)]
    brushes = [class_brushes[k] for k in labels]  # built once: only setData is timed
    show_widget(widget)

    def update(points: np.ndarray, centers: np.ndarray) -> None:
        scatter.setData(pos=points, brush=brushes, size=4, pen=None)

    result = time_frames(update, widget, random_walk(xy, labels, rng, frames))
    close(widget)
    return result


def empty_grab_ms() -> float:
    plot = FeaturePlot()
    plot.set_classes([str(k) for k in range(N_CLASSES)])
    show_widget(plot)
    times = []
    for _ in range(10):
        start = time.perf_counter()
        plot.grab()
        times.append(time.perf_counter() - start)
    close(plot)
    return 1e3 * statistics.median(times)


def close(widget: QtWidgets.QWidget) -> None:
    widget.close()
    widget.deleteLater()
    QtWidgets.QApplication.processEvents()


def save_demo(path: str, seed: int) -> None:
    """A 10k-point petal frame with labelled centers and short trails, saved as PNG."""
    rng = np.random.default_rng(seed)
    xy, labels = petals(10_000, rng)
    plot = FeaturePlot()
    plot.set_classes(FASHION)
    plot.set_title("Softmax only (λ = 0): probe set, 10,000 points")
    show_widget(plot)
    for t in range(40):  # clusters and centers glide outwards, leaving trails
        points = xy * (0.6 + 0.4 * t / 39)
        plot.show_frame(points, labels, class_means(points, labels))
        batch = rng.integers(0, len(xy), 64)
        plot.set_batch(points[batch], labels[batch])
    plot.grab().save(path)
    close(plot)


def fps(ms: float) -> str:
    return f"{ms:.1f} ({1e3 / ms:.0f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60, help="FeaturePlot frames per size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--png", help="also save a demo frame (10k petal points) to this path")
    args = parser.parse_args(argv)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    bench_feature_plot(POINT_COUNTS[0], 10, args.seed)  # warm-up: font and glyph caches, imports
    rows, splits = [], []
    for n in POINT_COUNTS:
        ours = bench_feature_plot(n, args.frames, args.seed)
        base = bench_set_data(n, 12 if n >= 60_000 else 30, args.seed)
        rows.append(f"| {n:,} | {fps(ours['total'])} | {fps(base['total'])} "
                    f"| {base['total'] / ours['total']:.1f}x |")
        splits.append(f"| {n:,} | {ours['update']:.2f} | {ours['total'] - ours['update']:.2f} "
                      f"| {ours['cpu']:.1f} | {base['cpu']:.1f} |")
    print(f"Frame = update + widget.grab(), {SIZE[0]}x{SIZE[1]} offscreen, {N_CLASSES} classes, median\n")
    print("| points | FeaturePlot ms (fps) | setData baseline ms (fps) | speed-up |")
    print("|---:|---:|---:|---:|")
    print("\n".join(rows))
    print("\n| points | FeaturePlot show_frame ms | its grab ms | FeaturePlot CPU ms | baseline CPU ms |")
    print("|---:|---:|---:|---:|---:|")
    print("\n".join(splits))
    print(f"\ngrab() of FeaturePlot without data: {empty_grab_ms():.2f} ms")
    if args.png:
        save_demo(args.png, args.seed)
        print(f"demo frame saved to {args.png}")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
