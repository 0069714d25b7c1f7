"""Prefect flows that route cases, and the workflow settings QA offices edit (installed as
``qa_engine.workflows``; the source stays in the top-level ``workflows/`` folder)."""
