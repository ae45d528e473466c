# The dashboard has no tables of its own.
