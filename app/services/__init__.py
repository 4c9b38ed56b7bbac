"""Domain rules. Views and socket handlers call these; nothing else decides."""
