"""The booking INSERT is built from the Booking table's columns: a new column with a model
default needs no second edit in book() (review 2026-12-07, B2)."""

from __future__ import annotations

import pytest

from web.core import bookings
from web.core.models import Booking

TABLE = Booking.__table__  # type: ignore[attr-defined]


def test_the_insert_covers_every_column_of_the_table() -> None:
    statement = bookings._insert_into_free_seat(3)
    inserted = {column.name for column in statement.table.c if column.name != "id"}
    assert set(bookings.INSERTED_COLUMNS) | {"seat"} == inserted
    assert {"id", *inserted} == set(TABLE.c.keys())
    # and every bound value has one, from book() or else from the model's default
    required = {n for n in bookings.INSERTED_COLUMNS if Booking.model_fields[n].is_required()}
    row = bookings.with_model_defaults(dict.fromkeys(required, "given"))
    bound = {name for name, value in statement.compile().params.items() if value is None}
    assert bound == set(row)  # the placeholders; the rest are the query's own constants
    assert row["sequence"] == 0 and row["call_patient"] is None and len(row["uid"]) == 32


def test_a_required_column_without_a_value_is_named() -> None:
    with pytest.raises(TypeError, match="'starts_at'"):
        bookings.with_model_defaults({})
