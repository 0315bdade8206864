"""Per-browser-session state: the loaded prices, the knobs (widgets, URL) and the current run."""
