"""The feature plot and everything drawn on it: points, centers, trails, axes, themes, inspection, regions."""
