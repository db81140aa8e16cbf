"""Operating the assistant's processes: start, wait until ready, stop (used by scripts and tests)."""
