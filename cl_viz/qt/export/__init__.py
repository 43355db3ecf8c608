"""Export of the current view (PNG, SVG) and of a timeline range (GIF, MP4)."""
