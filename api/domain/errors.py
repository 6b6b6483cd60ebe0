"""The one error type domain rules raise; the GraphQL and feed layers turn it into their own."""


class DomainError(ValueError):
    """A rule was broken by the caller's input. Safe to show to the caller as is.

    ``field`` names the input that is wrong (a dotted path), ``code`` is machine-readable.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str = "INVALID") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class NotFound(DomainError):
    def __init__(self, what: str, ident: object, *, field: str | None = None) -> None:
        super().__init__(f"{what} {ident} does not exist", field=field, code="NOT_FOUND")
