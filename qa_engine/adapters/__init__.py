"""Adapters translate between the outside world (spreadsheets, JSON, PDF, signatures, mail) and the
domain: domain objects in, bytes or domain objects out. No session, service or store is imported
here; the entry points (CLI, web, flows) wire adapters and services together."""
