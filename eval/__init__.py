"""Staff evaluation of the question answerer: metrics, datasets, runner, reports (`python -m eval --help`)."""
