"""The Kamakura demo register: its deterministic generator and its loader (``fm demo``)."""
