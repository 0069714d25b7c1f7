"""Prefect flows that route cases, and the workflow settings QA offices edit."""
