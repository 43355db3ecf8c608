"""The open-set view: rejection of unknowns and verification on unseen classes, per run, live."""
