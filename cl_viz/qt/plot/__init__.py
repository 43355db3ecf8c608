"""The feature plot and everything drawn on it: points, centers and trails, axes, themes, inspection, decision regions."""
