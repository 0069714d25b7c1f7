"""The ``qa-engine`` command line."""
