"""What the main window shows: the newest live frame, a frame picked on the timeline, or a recording.

Plain Python (the widgets read it): it owns the timeline, the scrub position and the recording played.
"""

from __future__ import annotations

from cl_viz.core.errors import ClVizError
from cl_viz.core.frames import Frame
from cl_viz.core.recording import Recording
from cl_viz.core.timeline import TIMELINE_FRAMES, Timeline


class Playback:
    def __init__(self, capacity: int = TIMELINE_FRAMES) -> None:
        self.capacity = capacity
        self.timeline = Timeline(capacity)
        self.latest: Frame | None = None
        self.scrub_index: int | None = None  # None: live, the newest frame
        self.recording: Recording | None = None

    @property
    def live(self) -> bool:
        return self.scrub_index is None

    @property
    def replaying(self) -> bool:
        return self.recording is not None

    def start_live(self) -> None:
        """A new live run: forget every frame and any recording."""
        self.timeline.clear()
        self.latest, self.scrub_index, self.recording = None, None, None

    def add(self, frame: Frame) -> bool:
        """A new frame from training; False (ignored) while a recording plays."""
        if self.replaying:
            return False
        self.latest = frame
        self.timeline.append(frame)
        return True

    def scrub(self, index: int) -> None:
        """Show the timeline's frame `index` (clamped to the frames there are)."""
        self.scrub_index = max(0, min(int(index), len(self.timeline) - 1)) if len(self.timeline) else None

    def go_live(self) -> None:
        self.scrub_index = None

    def play(self, recording: Recording) -> None:
        """Show a recording: its frames become the timeline, the newest one on screen."""
        if not recording.frames:
            raise ClVizError("the recording holds no frames")
        self.timeline = Timeline.from_frames(recording.frames, max(self.capacity, len(recording.frames)))
        self.latest, self.scrub_index, self.recording = recording.frames[-1], None, recording

    def shown(self) -> Frame | None:
        """The frame on screen: the one picked on the timeline, else the newest."""
        if self.scrub_index is not None and self.scrub_index < len(self.timeline):
            return self.timeline[self.scrub_index]
        return self.latest
