"""Training the project's own models (the extractive reader); not needed to answer questions."""
