"""Data files shipped with cl-viz (lesson presets, example recordings); not code."""
