"""Sessions: scripted renders and the built-in demo."""
