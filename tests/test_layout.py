"""The folder tree is the architecture: imports point down only, and tests and bench stay apart."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from starlette.testclient import TestClient

from tests.conftest import app_of
from web.http.state import AppState
from web.settings import PROJECT_ROOT

# What each layer of web/ may import from the app besides itself.
ALLOWED = {
    "core": set(),
    "mail": {"core"},
    "http": {"core"},
    "patient": {"core", "http"},
    "desk": {"core", "http"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_each_layer_imports_only_the_layers_below_it() -> None:
    wrong = []
    for layer, allowed in ALLOWED.items():
        for path in (PROJECT_ROOT / "web" / layer).rglob("*.py"):
            for module in imported_modules(path):
                parts = module.split(".")
                if parts[0] != "web" or len(parts) < 2:
                    continue
                if parts[1] not in allowed | {layer}:
                    wrong.append(f"{path.relative_to(PROJECT_ROOT)} imports {module}")
    assert wrong == []


def test_core_knows_nothing_of_the_web_framework_or_templates() -> None:
    for path in (PROJECT_ROOT / "web" / "core").rglob("*.py"):
        for module in imported_modules(path):
            assert not module.startswith(("starlette", "jinja2", "wtforms")), (path, module)


def test_tests_and_benchmarks_do_not_import_each_other() -> None:
    for folder, other in (("tests", "bench"), ("bench", "tests")):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            modules = imported_modules(path)
            assert not any(m == other or m.startswith(other + ".") for m in modules), path


def test_only_the_typed_accessor_reads_the_app_state() -> None:
    """Handlers and middleware reach `app.state` through web/http/state.py's `state_of(request)`,
    which mypy checks; a bare `request.app.state.x` is `Any` and hides a misspelled name.
    web/app.py, which fills the state, is the one other module allowed to touch it."""
    allowed = {PROJECT_ROOT / "web" / "http" / "state.py", PROJECT_ROOT / "web" / "app.py"}
    untyped = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}"
        for path in (PROJECT_ROOT / "web").rglob("*.py")
        if path not in allowed
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\.app\.state\b|\bscope\[.app.\]\.state\b", line)
    ]
    assert untyped == []


def test_the_typed_state_lists_what_the_app_keeps(site_client: TestClient) -> None:
    """`AppState` names exactly the attributes app.py sets, so `state_of()` types them all."""
    kept = set(vars(app_of(site_client).state)["_state"])
    assert kept == set(AppState.__annotations__)
