"""Official validation artefacts (unchanged copies; see qa_engine/formats/README.md)."""
