"""The pages nginx answers with when it cannot reach the app (502, 503, 504) or refuses a request
as too large (413, and 494 for headers): static files in every language of the clinic, with
its phone, made from the app's own templates and catalog by `python -m web error-pages DIR`.

Each page comes twice: a whole page for a visit, and a fragment for an htmx request (the page
that asked shows its own message then; see static/js/site.js)."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from web.core.clinic import Clinic
from web.core.i18n import N_, translate
from web.http.templating import make_templates

KINDS = {
    "unavailable": (
        N_("The website is not available just now"),
        N_("We are working on it. Please try again in a few minutes."),
    ),
    "too-large": (
        N_("That was too much to send"),
        N_(
            "Please shorten what you typed and send it again. If this happens again, clear this "
            "website’s cookies in your browser, or call us."
        ),
    ),
}


def render_error_pages(clinic: Clinic, templates_dir: Path) -> dict[str, str]:
    """File name -> HTML: <kind>.html and <kind>.fragment.html for each kind."""
    templates = make_templates(
        clinic, directory=templates_dir, static_url=lambda path: "/static/" + path
    )
    page = templates.env.get_template("proxy_error.html")
    part = templates.env.get_template("_proxy_error_part.html")
    files: dict[str, str] = {}
    for kind, (title, detail) in KINDS.items():
        titles = " / ".join(translate(code, title) for code in clinic.languages)
        for name, fragment in ((f"{kind}.html", False), (f"{kind}.fragment.html", True)):
            parts = {
                code: Markup(  # noqa: S704  (rendered by the autoescaping environment)
                    part.render(
                        lang=code,
                        clinic=clinic.localized(code),
                        title=title,
                        detail=detail,
                        fragment=fragment,
                    )
                )
                for code in clinic.languages
            }
            files[name] = page.render(
                lang=clinic.default_language,
                clinic=clinic,
                titles=titles,
                parts=parts,
                fragment=fragment,
            )
    return files


def write_error_pages(clinic: Clinic, directory: Path, templates_dir: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, html in render_error_pages(clinic, templates_dir).items():
        path = directory / name
        path.write_text(html, encoding="utf-8")
        written.append(path)
    return written
