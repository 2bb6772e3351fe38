"""Local storage: what this papo node keeps on disk (the SQLite message history)."""
