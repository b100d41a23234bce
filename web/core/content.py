"""Condition pages: Markdown files with front matter, parsed once at start-up.

Adding a condition is adding one file per language, content/conditions/<slug>.<lang>.md. Each `##`
heading starts a section; its slug comes from an explicit `{#slug}` after the heading (stable when
the wording changes, and the same in every language) or else from the heading text. A figure cites
its source as `[@id]`, an id from the front matter's `sources`; it becomes a numbered link to the
list of sources at the end of the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import frontmatter
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markupsafe import Markup

from web.core.intake import QuestionError, QuestionSet, check_same_questions, parse_question_set


def _label_table_cells(state: StateCore) -> None:
    """Each table cell carries its column's heading (data-label), so that on a phone the table
    can stack into one card per row and still say which column a cell belongs to."""
    headings: list[str] = []
    column = 0
    for index, token in enumerate(state.tokens):
        if token.type == "thead_open":
            headings = []
        elif token.type == "th_open":
            headings.append(state.tokens[index + 1].content)
        elif token.type == "tr_open":
            column = 0
        elif token.type == "td_open":
            if column < len(headings):
                token.attrSet("data-label", headings[column])
            column += 1


# html=False: raw HTML in a content file is shown as text, never injected into the page.
_markdown = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable("table")
_markdown.core.ruler.push("label_table_cells", _label_table_cells)
_HEADING = re.compile(r"^##\s+(?P<title>.+?)(?:\s+\{#(?P<slug>[a-z0-9-]+)\})?\s*$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CITATION = re.compile(r"\[@([a-z0-9-]+)\]")
REQUIRED_FIELDS = ("title", "summary", "reviewer", "next_review", "sources")


class ContentError(ValueError):
    pass


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    html: Markup


@dataclass(frozen=True)
class Source:
    id: str
    number: int  # as cited in the text: [1], [2]...
    title: str
    url: str | None


@dataclass(frozen=True)
class Reviewer:
    """Who checked the page and when. No name yet: `web check` warns until a real one is given."""

    name: str | None
    role: str | None
    date: date


@dataclass(frozen=True)
class Condition:
    slug: str
    language: str
    title: str
    summary: str
    reviewer: Reviewer
    next_review: date
    sources: tuple[Source, ...]
    intro_html: Markup
    sections: tuple[Section, ...]
    # What the specialist would like to know before the consultation (core/intake.py).
    questions: QuestionSet | None = None

    def section(self, slug: str) -> Section | None:
        return next((s for s in self.sections if s.slug == slug), None)

    @property
    def last_reviewed(self) -> date:
        return self.reviewer.date


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render_markdown(source: str) -> Markup:
    return Markup(_markdown.render(source))  # noqa: S704  (markdown-it escapes; html=False)


def _cite(html: Markup, sources: dict[str, Source], where: str) -> Markup:
    def link(match: re.Match[str]) -> str:
        source = sources.get(match[1])
        if source is None:
            raise ContentError(f"{where}: [@{match[1]}] cites no source in the front matter")
        return f'<sup class="cite"><a href="#source-{source.id}">[{source.number}]</a></sup>'

    return Markup(_CITATION.sub(link, str(html)))  # noqa: S704  (ids match [a-z0-9-]+)


def _split_sections(body: str, where: str) -> tuple[str, list[tuple[str, str, str]]]:
    intro: list[str] = []
    sections: list[tuple[str, str, list[str]]] = []
    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading:
            title = heading["title"].strip()
            sections.append((heading["slug"] or slugify(title), title, []))
        elif sections:
            sections[-1][2].append(line)
        else:
            intro.append(line)
    slugs = [slug for slug, _, _ in sections]
    if not sections:
        raise ContentError(f"{where}: needs at least one '## ' section")
    if len(set(slugs)) != len(slugs):
        raise ContentError(f"{where}: section slugs must be unique, got {slugs}")
    return "\n".join(intro), [(slug, title, "\n".join(lines)) for slug, title, lines in sections]


def _as_date(value: object, field: str, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ContentError(f"{where}: '{field}' must be a date like 2026-11-01") from None


def _as_list(value: object, field: str, where: str) -> list[object]:
    if not isinstance(value, list):
        raise ContentError(f"{where}: '{field}' must be a list")
    return value


def _optional_text(value: object) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _reviewer(value: object, where: str) -> Reviewer:
    if not isinstance(value, dict) or "date" not in value:
        raise ContentError(f"{where}: 'reviewer' needs name, role and date (name may stay empty)")
    return Reviewer(
        name=_optional_text(value.get("name")),
        role=_optional_text(value.get("role")),
        date=_as_date(value["date"], "reviewer.date", where),
    )


def _sources(value: object, where: str) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for number, item in enumerate(_as_list(value, "sources", where), start=1):
        if not isinstance(item, dict) or not _SLUG.match(str(item.get("id", ""))):
            raise ContentError(f"{where}: each source needs an id (a-z, 0-9, -) and a title")
        if "title" not in item or item["id"] in sources:
            raise ContentError(f"{where}: source {item['id']!r} has no title or is listed twice")
        url = _optional_text(item.get("url"))
        if url is not None and not url.startswith("https://"):
            raise ContentError(f"{where}: source {item['id']!r} needs an https:// link")
        sources[item["id"]] = Source(item["id"], number, str(item["title"]), url)
    return sources


def parse_condition(path: Path) -> Condition:
    where = path.name
    post = frontmatter.load(path)
    missing = [field for field in REQUIRED_FIELDS if field not in post.metadata]
    if missing:
        raise ContentError(f"{where}: front matter is missing {', '.join(missing)}")
    slug, _, language = path.stem.rpartition(".")
    if not _SLUG.match(slug) or not language:
        raise ContentError(f"{where}: the file name must be <slug>.<language>.md, all lowercase")
    intro, sections = _split_sections(post.content, where)
    sources = _sources(post.metadata["sources"], where)

    def html(markdown: str) -> Markup:
        return _cite(render_markdown(markdown), sources, where)

    return Condition(
        slug=slug,
        language=language,
        title=str(post.metadata["title"]),
        summary=str(post.metadata["summary"]),
        reviewer=_reviewer(post.metadata["reviewer"], where),
        next_review=_as_date(post.metadata["next_review"], "next_review", where),
        sources=tuple(sources.values()),
        intro_html=html(intro),
        sections=tuple(Section(slug, title, html(text)) for slug, title, text in sections),
        questions=_questions(post.metadata.get("intake"), where),
    )


def _questions(value: object, where: str) -> QuestionSet | None:
    try:
        return parse_question_set(value, where)
    except QuestionError as error:
        raise ContentError(str(error)) from None


Library = dict[str, dict[str, Condition]]  # language -> slug -> condition


def load_conditions(directory: Path, languages: tuple[str, ...]) -> Library:
    """Every condition in every language, by slug in the order of their titles.

    Each condition must exist in every language with the same sections (the same slugs, in the
    same order), so that every page and section URL has its equivalent in the other languages,
    and with the same intake questions, translated.
    """
    found = [parse_condition(path) for path in sorted(directory.glob("*.md"))]
    library: Library = {language: {} for language in languages}
    for condition in sorted(found, key=lambda c: c.title):
        if condition.language not in library:
            raise ContentError(
                f"{condition.slug}.{condition.language}.md: '{condition.language}' is not one "
                f"of the clinic's languages ({', '.join(languages)})"
            )
        library[condition.language][condition.slug] = condition
    slugs = set().union(*(set(by_slug) for by_slug in library.values()))
    for slug in sorted(slugs):
        missing = [language for language in languages if slug not in library[language]]
        if missing:
            raise ContentError(f"{slug}: no file in {', '.join(missing)} ({slug}.<lang>.md)")
        outline = [s.slug for s in library[languages[0]][slug].sections]
        for language in languages[1:]:
            other = [s.slug for s in library[language][slug].sections]
            if other != outline:
                raise ContentError(
                    f"{slug}.{language}.md: sections {other} differ from {languages[0]}'s {outline}"
                )
            first = library[languages[0]][slug]
            try:
                check_same_questions(
                    first.questions,
                    f"{slug}.{languages[0]}.md",
                    library[language][slug].questions,
                    f"{slug}.{language}.md",
                )
            except QuestionError as error:
                raise ContentError(str(error)) from None
    return library


def unnamed_reviewers(library: Library) -> list[str]:
    """Content files whose reviewer has no name: a clinic must fill it in before going live."""
    return sorted(
        f"{condition.slug}.{condition.language}.md"
        for by_slug in library.values()
        for condition in by_slug.values()
        if condition.reviewer.name is None
    )
