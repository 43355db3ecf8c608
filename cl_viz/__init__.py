"""cl-viz: watch center loss (Wen et al., ECCV 2016) shape 2-D deep features live."""

__version__ = "0.1.0"
