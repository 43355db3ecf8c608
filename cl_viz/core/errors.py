class ClVizError(Exception):
    """A problem the user can fix (bad parameter, missing data, foreign file); its message is shown as is."""
