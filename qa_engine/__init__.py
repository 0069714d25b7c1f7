"""qa-engine: quality-assurance workflow engine for university micro-credentials."""

__version__ = "0.1.0"
