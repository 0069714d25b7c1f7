"""Adapters between the outside world (spreadsheets, JSON, PDF, mail) and the services."""
