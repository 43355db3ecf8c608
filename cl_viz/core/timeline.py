"""Every drawn frame of a run, in bounded memory, for scrubbing back, recording and export."""

from __future__ import annotations

from cl_viz.core.frames import Frame

TIMELINE_FRAMES = 600  # the frames a timeline (and so a recording) keeps at most


class Timeline:
    """Frames in step order; never more than `capacity`.

    When full, every other frame is dropped and from then on only every `stride`-th frame is
    kept, so a long run keeps an evenly spaced summary; the newest frame is always `latest`.
    """

    def __init__(self, capacity: int = TIMELINE_FRAMES):
        if capacity < 4:
            raise ValueError("capacity must be at least 4")
        self.capacity = capacity
        self._frames: list[Frame] = []
        self._stride = 1
        self._seen = 0
        self.latest: Frame | None = None

    def __len__(self) -> int:
        return len(self._frames)

    def __getitem__(self, index: int) -> Frame:
        return self._frames[index]

    def __iter__(self):
        return iter(self._frames)

    @property
    def stride(self) -> int:
        return self._stride

    @property
    def steps(self) -> list[int]:
        return [frame.step for frame in self._frames]

    def append(self, frame: Frame) -> None:
        """Add a frame whose step is newer than every kept one (older or equal steps are ignored)."""
        if self.latest is not None and frame.step <= self.latest.step:
            if frame.step == self.latest.step and self._frames and self._frames[-1] is self.latest:
                self._frames[-1] = frame  # same step redrawn (a live change while paused): keep the newest
            self.latest = frame
            return
        self.latest = frame
        keep = self._seen % self._stride == 0
        self._seen += 1
        if not keep:
            return
        if len(self._frames) == self.capacity:
            self._frames = self._frames[::2]
            self._stride *= 2
        self._frames.append(frame)

    def index_at_or_before(self, step: int) -> int:
        """Index of the last kept frame whose step is ≤ `step` (0 when none is)."""
        index = 0
        for position, frame in enumerate(self._frames):
            if frame.step > step:
                break
            index = position
        return index

    def clear(self) -> None:
        self._frames, self._stride, self._seen, self.latest = [], 1, 0, None

    @classmethod
    def from_frames(cls, frames: list[Frame], capacity: int | None = None) -> Timeline:
        timeline = cls(capacity or max(4, len(frames)))
        for frame in frames:
            timeline.append(frame)
        return timeline
