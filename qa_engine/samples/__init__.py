"""Sample data shipped with qa-engine (credentials.json: example micro-credential descriptions)."""
