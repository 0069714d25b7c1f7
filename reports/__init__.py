"""Report assets: fonts and mail templates (installed as ``qa_engine.reports``)."""
