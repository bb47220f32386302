"""The outputs: the read-only serving copy, the CSV exports and the stakeholder report."""
