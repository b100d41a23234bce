"""The desk's path convertor for table rows, registered once when the desk's routes load."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor


class RowIdConvertor(Convertor[int]):
    """A table row's number: ASCII digits that fit a 32-bit column, else the route does not match
    (a 404, never a database error about an out-of-range integer)."""

    regex = "[1-9][0-9]{0,8}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("row_id", RowIdConvertor())


class ExportKindConvertor(Convertor[str]):
    """The export's file type: csv or xlsx, else the route does not match (404)."""

    regex = "csv|xlsx"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("export_kind", ExportKindConvertor())
