"""Raw loads: landing files -> `raw` schema, with quarantine and a per-file ledger."""
