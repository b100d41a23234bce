"""Condition pages: Markdown files with front matter, parsed once at start-up.

Adding a condition is adding one file per language, content/conditions/<slug>.<lang>.md. Each `##`
heading starts a section; its slug comes from an explicit `{#slug}` after the heading (stable when
the wording changes, and the same in every language) or else from the heading text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import frontmatter
from markdown_it import MarkdownIt
from markupsafe import Markup

# html=False: raw HTML in a content file is shown as text, never injected into the page.
_markdown = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable("table")
_HEADING = re.compile(r"^##\s+(?P<title>.+?)(?:\s+\{#(?P<slug>[a-z0-9-]+)\})?\s*$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REQUIRED_FIELDS = ("title", "summary", "last_reviewed", "next_review", "reviewer", "sources")


class ContentError(ValueError):
    pass


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    html: Markup


@dataclass(frozen=True)
class Source:
    title: str
    url: str | None


@dataclass(frozen=True)
class Condition:
    slug: str
    language: str
    title: str
    summary: str
    last_reviewed: date
    next_review: date
    reviewer: str
    sources: tuple[Source, ...]
    intro_html: Markup
    sections: tuple[Section, ...]

    def section(self, slug: str) -> Section | None:
        return next((s for s in self.sections if s.slug == slug), None)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render_markdown(source: str) -> Markup:
    return Markup(_markdown.render(source))  # noqa: S704  (markdown-it escapes; html=False)


def _split_sections(body: str, where: str) -> tuple[str, list[Section]]:
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
    return "\n".join(intro), [
        Section(slug, title, render_markdown("\n".join(lines))) for slug, title, lines in sections
    ]


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
    sources = tuple(
        Source(title=str(item["title"]), url=item.get("url"))
        if isinstance(item, dict)
        else Source(title=str(item), url=None)
        for item in _as_list(post.metadata["sources"], "sources", where)
    )
    return Condition(
        slug=slug,
        language=language,
        title=str(post.metadata["title"]),
        summary=str(post.metadata["summary"]),
        last_reviewed=_as_date(post.metadata["last_reviewed"], "last_reviewed", where),
        next_review=_as_date(post.metadata["next_review"], "next_review", where),
        reviewer=str(post.metadata["reviewer"]),
        sources=sources,
        intro_html=render_markdown(intro),
        sections=tuple(sections),
    )


Library = dict[str, dict[str, Condition]]  # language -> slug -> condition


def load_conditions(directory: Path, languages: tuple[str, ...]) -> Library:
    """Every condition in every language, by slug in the order of their titles.

    Each condition must exist in every language with the same sections (the same slugs, in the
    same order), so that every page and section URL has its equivalent in the other languages.
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
    return library
