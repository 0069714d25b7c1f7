"""Use cases. Each checks permission and state, writes the audit event and flushes; the caller
commits."""
