class ClVizError(Exception):
    """A problem the user can fix (bad parameter, missing data, foreign file); its message is shown as is."""


class Cancelled(Exception):
    """Work abandoned because its caller asked to stop (a snapshot of a worker being closed)."""
