"""User interfaces: the only code that reads the keyboard and prints."""
