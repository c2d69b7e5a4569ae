"""The sandbox's error: a request it refuses, with the HTTP status to answer."""


class SandboxError(Exception):
    """A request the sandbox refuses; carries the HTTP status and message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message
