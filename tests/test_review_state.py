"""The page's metadata claims a medical review only when the content file names the reviewer
with a date: schema.org's lastReviewed means "reviewed for accuracy", which an unnamed page was
not (medical review J1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from web.core.clinic import load_clinic
from web.core.content import parse_condition
from web.patient.conditions import structured_data
from web.settings import PROJECT_ROOT

CONTENT = PROJECT_ROOT / "content" / "conditions"
CLINIC = load_clinic(PROJECT_ROOT / "clinic.toml")


def copy_with_reviewer(tmp_path: Path, language: str, name: str | None) -> Path:
    source = CONTENT / f"hemifacial-spasm.{language}.md"
    text = source.read_text(encoding="utf-8")
    assert "  name:\n" in text  # the real file names nobody yet
    if name:
        text = text.replace("  name:\n", f"  name: {name}\n")
    path = tmp_path / source.name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("language", ["uk", "en"])
def test_no_review_is_claimed_while_the_reviewer_is_unnamed(tmp_path: Path, language: str) -> None:
    condition = parse_condition(copy_with_reviewer(tmp_path, language, None))
    data = structured_data(condition, CLINIC.localized(language))
    assert "lastReviewed" not in data and "reviewedBy" not in data
    assert data["dateModified"] == condition.reviewer.date.isoformat()


@pytest.mark.parametrize("language", ["uk", "en"])
def test_a_named_reviewer_with_a_date_is_claimed_with_that_date(
    tmp_path: Path, language: str
) -> None:
    condition = parse_condition(copy_with_reviewer(tmp_path, language, "Dr Test Person"))
    data = structured_data(condition, CLINIC.localized(language))
    assert data["lastReviewed"] == "2026-11-20"
    assert data["reviewedBy"]["name"] == "Dr Test Person"
    assert "dateModified" not in data
