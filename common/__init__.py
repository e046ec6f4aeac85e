"""Small rules every app shares, depending on Django only."""
