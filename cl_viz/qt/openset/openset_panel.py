"""OpenSetPanel: the reason for compact features, live. For each drawn run (center loss and its
softmax-only twin): the AUROC of every open-set score, the OSCR curve of the chosen one with the
operating point of the threshold, the verification ROC on the unknown classes with its EER, and a pair
inspector for two unknown points clicked on a plot.

The threshold is set as the share of known probe points it accepts (each run's own score scale differs,
and grows as its features spread); its value, CCR and FPR are shown per run, and the plots shade what
it rejects. The figures come from an OpenSetAnalyst thread a few times a second, never from a frame.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from cl_viz.core.frames import Frame, RunInfo
from cl_viz.core.openset_scores import SCORE_TITLES, SCORES, available_scores, operating_point, threshold_for_share
from cl_viz.core.verification_pairs import DISTANCES, FAR_TARGETS, Pairs, pair_distances
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.openset.analyst import Analyses, OpenSetAnalyst
from cl_viz.qt.plot.inspector import digit_pixmap
from cl_viz.qt.plot.lean_axis import lean_axes
from cl_viz.qt.plot.log_axis import LogAxisItem

ANALYSIS_INTERVAL_S = 0.3  # at most ~3 analyses a second
SHARE_RANGE = (50, 100)  # % of the known probe points the threshold accepts
DEFAULT_SHARE = 95
PAIR_FAR = FAR_TARGETS[0]  # the pair inspector's threshold: the largest distance accepted at this FAR
RATE_FLOOR = 1e-3  # a log axis cannot show 0: FPR and FAR of 0 are drawn here
RUN_KEYS = ("primary", "comparison")
RUN_RGB = {"primary": (0, 114, 178), "comparison": (213, 94, 0)}  # as the metrics panel's runs
DISTANCE_TITLES = {"euclidean": "Euclidean ‖a − b‖", "cosine": "cosine 1 − cos(a, b)"}
PAIR_IMAGE_PX = 72
TABLE_ROWS = 1 + len(SCORES) + 5  # the runs' names, AUROC per score, then the chosen score's and verification's


class OpenSetPanel(QWidget):
    acceptance_changed = Signal(object)  # per run: (Snapshot, score, threshold) or None
    pair_changed = Signal(object)  # (row, row) of the unknown probe points, or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info: RunInfo | None = None
        self.analyses: Analyses | None = None
        self.pair: tuple[int, ...] = ()  # unknown probe rows: one while the second is awaited
        self._run_names = {"primary": "center loss", "comparison": "softmax only"}
        self._latest: Frame | None = None
        self._requested_at = -float("inf")
        self._awaiting = False
        self._analysed_key: tuple | None = None
        self._build()
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self.on_retry)
        self.analyst = OpenSetAnalyst()
        self.analyst.analysed.connect(self.on_analysed)

    # ----- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.status = QLabel("No classes are held out: choose Setup > Open set, then reset.")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        form = QFormLayout()
        self.score = QComboBox()
        self.distance = QComboBox()
        for name in DISTANCES:
            self.distance.addItem(DISTANCE_TITLES[name], name)
        self.share = QSlider(Qt.Orientation.Horizontal)
        self.share.setRange(*SHARE_RANGE)
        self.share.setValue(DEFAULT_SHARE)
        self.share_label = QLabel()
        self.share.setToolTip("The threshold on the open-set score, as the share of known probe points it accepts. "
                              "The plots shade grey what it rejects as unknown (in the plain 2-D view).")
        share_row = QHBoxLayout()
        share_row.addWidget(self.share, 1)
        share_row.addWidget(self.share_label)
        form.addRow("Open-set score", self.score)
        form.addRow("Threshold", share_row)
        form.addRow("Pair distance", self.distance)
        layout.addLayout(form)
        self.table = QGridLayout()
        self.table.setHorizontalSpacing(10)
        self.table.setVerticalSpacing(1)
        self.cells = [[QLabel() for _column in range(1 + len(RUN_KEYS))] for _row in range(TABLE_ROWS)]
        for row, labels in enumerate(self.cells):
            for column, label in enumerate(labels):
                alignment = Qt.AlignmentFlag.AlignRight if column else Qt.AlignmentFlag.AlignLeft
                self.table.addWidget(label, row, column, alignment)
        layout.addLayout(self.table)
        self.oscr_plot = self._curve_plot("OSCR: correct classification vs false positives", "FPR (unknowns accepted)",
                                          "CCR")
        self.roc_plot = self._curve_plot("Verification on the unknown classes (ROC)", "FAR", "TAR")
        self.curves = {(plot, run): plot.plot(pen=pg.mkPen(RUN_RGB[run], width=2))
                       for plot in (self.oscr_plot, self.roc_plot) for run in RUN_KEYS}
        self.markers = {(plot, run): plot.plot(pen=None, symbol="o", symbolSize=9, symbolPen="w",
                                               symbolBrush=RUN_RGB[run])
                        for plot in (self.oscr_plot, self.roc_plot) for run in RUN_KEYS}
        layout.addWidget(self.oscr_plot, 1)
        layout.addWidget(self.roc_plot, 1)
        layout.addWidget(self._build_pair_box())
        self.score.currentIndexChanged.connect(self.on_choice_changed)
        self.distance.currentIndexChanged.connect(self.on_choice_changed)
        self.share.valueChanged.connect(self.on_share_changed)
        self._show_share()

    def _curve_plot(self, title: str, x_title: str, y_title: str) -> pg.PlotWidget:
        axes = lean_axes()
        axes["bottom"] = LogAxisItem(orientation="bottom")
        plot = pg.PlotWidget(axisItems=axes)
        plot.setBackground("w")
        item = plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.setTitle(f"<span style='color:#333'>{title}</span>", size="9pt")
        item.setLabel("bottom", x_title)
        item.setLabel("left", y_title)
        item.setLogMode(x=True, y=False)
        item.setXRange(np.log10(RATE_FLOOR), 0.0, padding=0.02)
        item.setYRange(0.0, 1.0, padding=0.02)
        item.showGrid(x=True, y=True, alpha=0.2)
        plot.setMinimumHeight(120)
        return plot

    def _build_pair_box(self) -> QGroupBox:
        box = QGroupBox("Pair inspector: click two hollow (unknown) points")
        row = QHBoxLayout(box)
        self.pair_images = (QLabel(), QLabel())
        for label in self.pair_images:
            label.setFixedSize(PAIR_IMAGE_PX, PAIR_IMAGE_PX)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet("background: #f2f2f2; border: 1px solid #ccc;")
            row.addWidget(label)
        self.pair_text = QLabel("—")
        self.pair_text.setWordWrap(True)
        self.pair_text.setTextFormat(Qt.TextFormat.RichText)
        row.addWidget(self.pair_text, 1)
        return box

    # ----- runs and frames ----------------------------------------------------------------
    def set_run(self, info: RunInfo, run_names: dict[str, str]) -> None:
        self.info = info
        self._run_names = dict(run_names)
        self.analyses = self._latest = self._analysed_key = None
        self._awaiting = False
        self.pair = ()
        self.score.blockSignals(True)
        current = self.score.currentData()
        self.score.clear()
        for name in available_scores(info.config.head):
            self.score.addItem(SCORE_TITLES[name], name)
        preferred = current if current in available_scores(info.config.head) else "center_distance"
        self.score.setCurrentIndex(max(0, self.score.findData(preferred)))
        self.score.blockSignals(False)
        if self.has_unknowns:
            self.status.setText(f"Unknowns: {unknowns_title(info)}. Waiting for the first analysis…")
        else:
            self.status.setText("No classes are held out: choose Setup > Open set, then reset.")
        self._draw()
        self._show_pair()
        self.acceptance_changed.emit((None, None))
        self.pair_changed.emit(None)

    @property
    def has_unknowns(self) -> bool:
        return self.info is not None and self.info.unknown_images is not None and len(self.info.unknown_images) > 0

    def offer(self, frame: Frame) -> None:
        """The frame drawn now; analysed when the thread is free and ANALYSIS_INTERVAL_S has passed."""
        if frame.primary.unknown_features is None:
            return
        self._latest = frame
        self._show_pair()
        key = (id(frame), self.score.currentData(), self.distance.currentData())
        now = time.monotonic()
        if self._awaiting or key == self._analysed_key or not self.isVisible():
            return  # an analysis under way offers the newest frame again when it ends
        wait = ANALYSIS_INTERVAL_S - (now - self._requested_at)
        if wait > 0:
            self._retry.start(math.ceil(wait * 1000))
            return
        self._requested_at, self._awaiting, self._analysed_key = now, True, key
        self.analyst.request((frame.primary, frame.comparison), key[1], key[2])

    def shutdown(self) -> None:
        self._retry.stop()
        self.analyst.stop()

    @Slot()
    @guarded()
    def on_retry(self) -> None:
        if self._latest is not None:
            self.offer(self._latest)

    @Slot(object)
    @guarded()
    def on_analysed(self, analyses: Analyses) -> None:
        self._awaiting = False
        if self.info is None or len(analyses.runs) != 2:
            return
        self.analyses = analyses
        problems = [problem for problem in analyses.problems if problem]
        self.status.setText(f"Unknowns: {unknowns_title(self.info)}. Step {analyses.step:,}."
                            + (f" {problems[0]}" if problems else ""))
        self._draw()
        self._show_pair()
        if self._latest is not None:
            self.offer(self._latest)  # a newer frame, or another score, may have come meanwhile

    @Slot(int)
    @guarded()
    def on_choice_changed(self, _index: int) -> None:
        self._analysed_key = None
        self._requested_at = -float("inf")
        if self._latest is not None:
            self.offer(self._latest)

    @Slot(int)
    @guarded()
    def on_share_changed(self, _value: int) -> None:
        self._show_share()
        self._draw()

    def _show_share(self) -> None:
        self.share_label.setText(f"accept {self.share.value()}% of the knowns (grey: rejected)")

    # ----- figures ------------------------------------------------------------------------
    def run_analysis(self, run: str):
        if self.analyses is None:
            return None
        return self.analyses.runs[RUN_KEYS.index(run)]

    def operating_points(self) -> dict:
        """Per run with an analysis: the threshold of the chosen share and its CCR and FPR."""
        points = {}
        for run in RUN_KEYS:
            analysis = self.run_analysis(run)
            if analysis is not None:
                threshold = threshold_for_share(analysis.known.scores, self.share.value() / 100.0)
                points[run] = operating_point(analysis.known, analysis.known_labels, analysis.unknown_scores,
                                              threshold)
        return points

    def _draw(self) -> None:
        points = self.operating_points()
        for run in RUN_KEYS:
            analysis = self.run_analysis(run)
            oscr_xy = roc_xy = None
            if analysis is not None:
                oscr_xy = (analysis.curve.fpr, analysis.curve.ccr)
                if analysis.verification is not None:
                    roc_xy = (analysis.verification.far, analysis.verification.tar)
            for plot, xy in ((self.oscr_plot, oscr_xy), (self.roc_plot, roc_xy)):
                curve = self.curves[(plot, run)]
                if xy is None:
                    curve.setData([], [])
                else:
                    curve.setData(np.maximum(xy[0], RATE_FLOOR), xy[1])
            point = points.get(run)
            marker = self.markers[(self.oscr_plot, run)]
            marker.setData(*(([max(point.fpr, RATE_FLOOR)], [point.ccr]) if point else ([], [])))
            eer_marker = self.markers[(self.roc_plot, run)]
            verification = analysis.verification if analysis is not None else None
            if verification is not None:
                eer_marker.setData([max(verification.eer, RATE_FLOOR)], [1.0 - verification.eer])
            else:
                eer_marker.setData([], [])
        self._fill_table(points)
        rules = []
        for run in RUN_KEYS:
            analysis, point, snapshot = self.run_analysis(run), points.get(run), self._analysed_snapshot(run)
            ready = analysis is not None and point is not None and snapshot is not None
            rules.append((snapshot, analysis.score, point.threshold) if ready else None)
        self.acceptance_changed.emit(tuple(rules))

    def _analysed_snapshot(self, run: str):
        """The snapshot the acceptance region is drawn from: the latest of the run (its centers, classifier)."""
        frame = self._latest
        if frame is None:
            return None
        return frame.primary if run == "primary" else frame.comparison

    def _fill_table(self, points: dict) -> None:
        runs = [run for run in RUN_KEYS if self.run_analysis(run) is not None] or ["primary"]
        rows = table_rows(self.score.currentData(), self.distance.currentData(),
                          {run: self.run_analysis(run) for run in runs}, points,
                          available_scores(self.info.config.head) if self.info else ())
        header = [""] + [f"<b style='color:{pg.mkColor(RUN_RGB[run]).name()}'>{self._run_names[run]}</b>"
                         for run in runs]
        texts = [header] + [[_bold(title, bold)] + [_bold(cells.get(run, "n/a"), bold) for run in runs]
                            for title, cells, bold in rows]
        for row, labels in enumerate(self.cells):
            for column, label in enumerate(labels):
                text = texts[row][column] if row < len(texts) and column < len(texts[row]) else ""
                label.setText(text)
                label.setVisible(bool(text))

    # ----- the pair inspector -------------------------------------------------------------
    @Slot(int)
    @guarded()
    def pick_unknown(self, row: int) -> None:
        """A click on unknown point `row`: the first or the second of a pair (a third starts a new pair)."""
        if not self.has_unknowns or not 0 <= row < len(self.info.unknown_images):
            return
        self.pair = (row,) if len(self.pair) != 1 else (self.pair[0], row)
        self._show_pair()
        self.pair_changed.emit(self.pair if len(self.pair) == 2 else None)

    def _show_pair(self) -> None:
        images = self.info.unknown_images if self.has_unknowns else None
        for slot, label in enumerate(self.pair_images):
            if images is not None and slot < len(self.pair):
                label.setPixmap(digit_pixmap(images[self.pair[slot]], PAIR_IMAGE_PX - 4))
            else:
                label.clear()
        if len(self.pair) < 2 or self._latest is None or self._latest.primary.unknown_labels is None:
            self.pair_text.setText("Click a second unknown point." if len(self.pair) == 1 else
                                   "Two images of classes never trained on: same class or not?")
            return
        self.pair_text.setText(self.pair_report())

    def pair_report(self) -> str:
        frame, (a, b) = self._latest, self.pair
        labels = frame.primary.unknown_labels
        names = self.info.original_class_names or self.info.class_names
        same = labels[a] == labels[b]
        truth = (f"same class ({_name(names, labels[a])})" if same
                 else f"different classes ({_name(names, labels[a])} vs {_name(names, labels[b])})")
        lines = [f"Truth: {truth}"]
        distance = self.distance.currentData()
        pair = Pairs(np.array([a]), np.array([b]), np.array([same]))
        for run, snapshot in zip(RUN_KEYS, (frame.primary, frame.comparison)):
            if snapshot is None or snapshot.unknown_features is None:
                continue
            value = float(pair_distances(snapshot.unknown_features, pair, distance)[0])
            analysis = self.run_analysis(run)
            verdict = ""
            if analysis is not None and analysis.verification is not None:
                from_far = pair_threshold(analysis.verification)
                accepted = value <= from_far
                right = accepted == bool(same)
                verdict = (f" {'≤' if accepted else '>'} {from_far:.3g} (FAR {PAIR_FAR:g}): "
                           f"<span style='color:{'#1a7f37' if right else '#cf222e'}'>"
                           f"{'same' if accepted else 'different'}</span>")
            lines.append(f"<span style='color:{pg.mkColor(RUN_RGB[run]).name()}'>{self._run_names[run]}</span>: "
                         f"d = {value:.3g}{verdict}")
        return "<br>".join(lines)


def pair_threshold(verification) -> float:
    allowed = np.flatnonzero(verification.far <= PAIR_FAR)
    return float(verification.thresholds[allowed[-1]])


def table_rows(score: str, distance: str, analyses: dict, points: dict, scores) -> list[tuple[str, dict, bool]]:
    """(title, {run: text}, bold) for the figures table: AUROC per score, then the chosen score's, then
    verification's."""
    def cells(value_of) -> dict:
        return {run: value_of(run, analysis) for run, analysis in analyses.items() if analysis is not None}

    rows = [(f"AUROC, {SCORE_TITLES[name]}", cells(lambda _run, a, name=name: f"{a.aurocs[name]:.3f}"), name == score)
            for name in scores]
    rows.append((f"CCR at FPR {1e-2:g}", cells(lambda _run, a: f"{a.curve.ccr_at_fpr:.3f}"), False))
    rows.append(("at the threshold: CCR / FPR",
                 {run: f"{point.ccr:.3f} / {point.fpr:.3f}" for run, point in points.items()}, True))
    rows.append(("threshold", {run: f"{point.threshold:.3g}" for run, point in points.items()}, False))

    def verification(text_of):
        return cells(lambda _run, a: "n/a" if a.verification is None else text_of(a.verification))

    rows.append((f"verification EER ({distance})", verification(lambda v: f"{v.eer:.3f}"), False))
    rows.append(("TAR at FAR 1e-2 / 1e-3",
                 verification(lambda v: f"{v.tar_at_far[FAR_TARGETS[0]]:.3f} / {v.tar_at_far[FAR_TARGETS[1]]:.3f}"),
                 False))
    return rows


def _bold(text: str, bold: bool) -> str:
    return f"<b>{text}</b>" if bold else text


def unknowns_title(info: RunInfo) -> str:
    config = info.config
    names = info.original_class_names or info.class_names
    parts = [", ".join(_name(names, k) for k in sorted(config.unknown_classes))] if config.unknown_classes else []
    if config.unknown_dataset:
        parts.append(f"{config.unknown_dataset} images")
    return " and ".join(parts)


def _name(names, label) -> str:
    label = int(label)
    return str(names[label]) if 0 <= label < len(names) else str(label)
