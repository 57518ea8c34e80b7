"""How the API reads request bodies and query strings: as ninja does, refusing a NUL character.

JSON may carry ``\\u0000`` and a query string ``%00``, and Python strings hold them, but PostgreSQL
cannot store a NUL in text or JSONB: a write would fail in the database, after the request had been
accepted. Any such value (or key), at any depth, is refused up front as a field error naming where
it was (``names.0.family_name``), the same shape as every other validation error.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser

from iops.platform.errors import ValidationFailed

NUL = "\x00"


def nul_at(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """The path of the first string holding a NUL in a decoded JSON value, or None."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = (*path, str(key).replace(NUL, ""))
            if NUL in str(key):
                return where
            found = nul_at(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_at(item, (*path, str(index)))
            if found is not None:
                return found
    return None


def _refuse_nul(data: Any) -> None:
    where = nul_at(data)
    if where is not None:
        raise ValidationFailed(
            "Text cannot contain a NUL character (\\u0000).", field=".".join(where) or None
        )


class RefusingNulParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        _refuse_nul(data)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        result = super().parse_querydict(data, list_fields, request)
        _refuse_nul(result)
        return result
