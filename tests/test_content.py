"""Condition content: the real file keeps every fact, and a second condition is just a file."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import Clock, make_settings
from web.app import create_app
from web.cli import migrate
from web.core.content import (
    Condition,
    ContentError,
    Library,
    load_conditions,
    parse_condition,
)
from web.settings import PROJECT_ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "content"


LANGUAGES = ("uk", "en")


@pytest.fixture(scope="module")
def library() -> Library:
    return load_conditions(PROJECT_ROOT / "content" / "conditions", LANGUAGES)


@pytest.fixture(scope="module")
def hemifacial(library: Library) -> Condition:
    return library["en"]["hemifacial-spasm"]


def page_text(condition: Condition) -> str:
    return str(condition.intro_html) + "".join(str(section.html) for section in condition.sections)


def test_sections_in_order_with_stable_slugs(hemifacial: Condition) -> None:
    assert [s.slug for s in hemifacial.sections] == [
        "what-it-is",
        "causes",
        "symptoms",
        "diagnosis",
        "treatment",
        "consultation",
    ]
    assert hemifacial.last_reviewed == date(2026, 11, 20)
    assert hemifacial.next_review == date(2027, 11, 20)


@pytest.mark.parametrize(
    "fact",
    [
        "97%",
        "85-95%",
        "3-4 months",
        "8-10",
        "MRI",
        "mastoid",
        "drooling",
        "parotid gland",
        "Teflon",
        "microvascular decompression",
        "Botulinum toxin",
        "three",
        "drowsiness, nausea",
        "lethargy",
        "Chiari",
        "cholesteatoma",
        "multiple sclerosis",
        "Bell's palsy",
    ],
)
def test_every_fact_from_the_seed_is_kept(hemifacial: Condition, fact: str) -> None:
    assert fact in page_text(hemifacial).replace("’", "'").replace("–", "-")


def test_translation_errors_are_fixed(hemifacial: Condition) -> None:
    text = page_text(hemifacial).lower()
    assert "hemilic" not in text
    assert "mammary" not in text
    assert "formation of saliva" not in text
    # Parotid tumours are a bullet of their own, not glued to the ear infections.
    section = hemifacial.section("causes")
    assert section is not None
    causes = section.html
    assert "<li>tumours of the parotid gland" in causes


def test_citations_become_numbered_links_to_the_sources(tmp_path: Path) -> None:
    page = parse_condition(FIXTURES / "conditions" / "trigeminal-neuralgia.en.md")
    assert page.sources[0].id == "test" and page.sources[0].number == 1
    bad = tmp_path / "bad.en.md"
    text = (FIXTURES / "conditions" / "trigeminal-neuralgia.en.md").read_text(encoding="utf-8")
    bad.write_text(text.replace("Intro text", "Intro [@nowhere] text"), encoding="utf-8")
    with pytest.raises(ContentError, match=r"\[@nowhere\] cites no source"):
        parse_condition(bad)
    bad.write_text(text.replace("Intro text", "Intro [@test] text"), encoding="utf-8")
    assert (
        '<sup class="cite"><a href="#source-test">[1]</a></sup>' in parse_condition(bad).intro_html
    )


def test_raw_html_in_content_is_escaped() -> None:
    fixture = parse_condition(FIXTURES / "conditions" / "trigeminal-neuralgia.en.md")
    section = fixture.section("what-it-is")
    assert section is not None
    assert "<script>" not in section.html
    assert "&lt;script&gt;" in section.html
    assert fixture.sections[1].slug == "treatment"  # slug made from the heading


def test_missing_front_matter_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.en.md"
    bad.write_text("---\ntitle: X\n---\n## A\ntext\n", encoding="utf-8")
    with pytest.raises(ContentError, match="missing summary"):
        parse_condition(bad)


def test_a_second_condition_needs_only_a_file_per_language(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'content.db'}"
    migrate(url)
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    for path in (FIXTURES / "conditions").glob("*.md"):
        shutil.copy(path, content / "conditions")
    app = create_app(make_settings(url, content_dir=content), clock=Clock())
    with TestClient(app) as client:
        home = client.get("/")
        assert "Trigeminal neuralgia" in home.text and "Hemifacial spasm" in home.text
        page = client.get("/conditions/trigeminal-neuralgia")
        assert page.status_code == 200
        assert "Sudden, severe facial pain" in page.text
        section = client.get(
            "/conditions/trigeminal-neuralgia/treatment", headers={"HX-Request": "true"}
        )
        assert section.status_code == 200 and "Medicines and surgery." in section.text
        assert "<html" not in section.text
        assert (
            "Ліки та операція." in client.get("/uk/conditions/trigeminal-neuralgia/treatment").text
        )


def test_a_condition_missing_in_a_language_is_refused(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "conditions" / "trigeminal-neuralgia.en.md", tmp_path)
    with pytest.raises(ContentError, match="no file in uk"):
        load_conditions(tmp_path, LANGUAGES)


def test_sections_must_match_across_languages(tmp_path: Path) -> None:
    for path in (FIXTURES / "conditions").glob("*.md"):
        shutil.copy(path, tmp_path)
    uk = tmp_path / "trigeminal-neuralgia.uk.md"
    uk.write_text(uk.read_text(encoding="utf-8").replace("{#treatment}", "{#likuvannia}"))
    with pytest.raises(ContentError, match="differ"):
        load_conditions(tmp_path, LANGUAGES)
