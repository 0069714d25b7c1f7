"""The shipped rubric files (installed as ``qa_engine.rubrics``; QA offices edit the YAML, not code)."""
