"""The λ grid (the paper's Fig. 3): a window training one network per λ, and its view."""
