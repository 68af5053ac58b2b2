"""Models of this channel (see the package docstring)."""
