"""Issue 23 item 7: no placeholder goes live. With a public PUBLIC_URL or HTTPS_ONLY=true, start-up
and `python -m web check` refuse the example legal name, address, e-mail and phone of the shipped
clinic.toml (the privacy notice would name a controller that does not exist), and both warn
loudly while no medical reviewer is named in the content."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from starlette.applications import Starlette

from tests.conftest import FILLED_IN_CLINIC, REAL_CLINIC, make_settings
from web.app import create_app
from web.cli import main
from web.core.clinic import load_clinic, placeholders
from web.settings import SettingsError, is_public_url

EVERY_EXAMPLE = [
    "legal_name.uk",
    "legal_name.en",
    "address.uk",
    "address.en",
    "email",
    "coordinator_phone",
]


def test_the_shipped_profile_holds_every_example_and_a_filled_in_one_none() -> None:
    assert placeholders(load_clinic(REAL_CLINIC)) == EVERY_EXAMPLE
    assert placeholders(load_clinic(FILLED_IN_CLINIC)) == []


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("https://neuroclinic.com.ua", True),
        ("http://203.0.113.9", False),  # documentation range, not global
        ("http://8.8.8.8:8000", True),
        ("http://127.0.0.1:8000", False),
        ("http://localhost:8000", False),
        ("http://192.168.1.20", False),
        ("http://testserver", False),
        ("https://clinic.example", False),
        ("https://clinic.test", False),
    ],
)
def test_what_counts_as_a_public_address(url: str, public: bool) -> None:
    assert is_public_url(url) is public


def _app(tmp_path: Path, **overrides: object) -> Starlette:
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    return create_app(make_settings(url, clinic_file=REAL_CLINIC, **overrides))


@pytest.mark.parametrize(
    "overrides",
    [{"public_url": "https://neuroclinic.com.ua"}, {"https_only": True}],
)
def test_start_up_refuses_the_examples_on_a_site_patients_can_reach(
    tmp_path: Path, overrides: dict[str, object]
) -> None:
    with pytest.raises(SettingsError) as refused:
        _app(tmp_path, **overrides)
    message = str(refused.value)
    assert "clinic.toml still holds the example" in message
    assert all(field in message for field in EVERY_EXAMPLE)


def test_start_up_accepts_the_examples_locally_and_real_values_anywhere(tmp_path: Path) -> None:
    _app(tmp_path, public_url="http://127.0.0.1:8000").state.engine.dispose()
    live = create_app(
        make_settings(
            f"sqlite:///{tmp_path / 'live.db'}",
            clinic_file=FILLED_IN_CLINIC,
            public_url="https://neuroclinic.com.ua",
            https_only=True,
        )
    )
    live.state.engine.dispose()


def test_start_up_warns_loudly_while_no_reviewer_is_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="web"):
        _app(tmp_path).state.engine.dispose()
    assert "NO NAMED MEDICAL REVIEWER for hemifacial-spasm.en.md" in caplog.text


def _check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], **env: str
) -> tuple[int, str]:
    for name in ("PUBLIC_URL", "HTTPS_ONLY", "CLINIC_FILE", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    status = main(["check"])
    return status, capsys.readouterr().err


def test_the_check_command_refuses_the_examples_for_a_public_site(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, errors = _check(
        monkeypatch,
        capsys,
        PUBLIC_URL="https://neuroclinic.com.ua",
        SECRET_KEY="k" * 48,
        CLINIC_FILE=str(REAL_CLINIC),
    )
    assert status == 2
    assert errors.startswith("error: PUBLIC_URL is https://neuroclinic.com.ua, but clinic.toml")
    status, errors = _check(
        monkeypatch,
        capsys,
        HTTPS_ONLY="true",
        SECRET_KEY="k" * 48,
        CLINIC_FILE=str(REAL_CLINIC),
    )
    assert status == 2 and "HTTPS_ONLY=true" in errors


def test_the_check_command_passes_a_filled_in_profile_and_warns_of_no_reviewer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, errors = _check(
        monkeypatch,
        capsys,
        PUBLIC_URL="https://neuroclinic.com.ua",
        SECRET_KEY="k" * 48,
        CLINIC_FILE=str(FILLED_IN_CLINIC),
    )
    assert status == 0
    assert "WARNING: no named reviewer for hemifacial-spasm.en.md" in errors
