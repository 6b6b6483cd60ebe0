"""Small checks shared by every write: each names the field it rejects."""

from api.domain.errors import DomainError


def text(value: str | None, field: str, *, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"{field} must not be empty", field=field, code="REQUIRED")
    if len(value) > max_length:
        raise DomainError(
            f"{field} is {len(value)} characters long; at most {max_length} are allowed",
            field=field,
            code="TOO_LONG",
        )
    return value


def in_range(value: float | int | None, field: str, low: float, high: float) -> None:
    if value is not None and not low <= value <= high:
        raise DomainError(f"{field} must be between {low} and {high}, got {value}", field=field, code="OUT_OF_RANGE")
