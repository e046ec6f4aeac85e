"""Errors every layer raises and every view turns into a message."""


class NotAllowed(Exception):
    """A request that is understood but refused; `message` is shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class EditConflict(NotAllowed):
    """The record changed since the form was loaded (another tab, or a colleague)."""
