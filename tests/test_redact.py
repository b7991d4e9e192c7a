"""Masking secrets in text hullscan writes (messages) and hashes (fingerprints)."""

from __future__ import annotations

import pytest

from hullscan.core.redact import mask, redact


@pytest.mark.parametrize(
    ("text", "prose", "expected"),
    [
        ("Found DB_PASSWORD=hunter2 here", True, "Found DB_PASSWORD=<secret> here"),
        ("password: 'x1234' and token=abc", True, "password: '<secret>' and token=<secret>"),
        ("ENV API_TOKEN abcdef123", False, "ENV API_TOKEN <secret>"),
        ("ENV API_TOKEN abcdef123", True, "ENV API_TOKEN abcdef123"),
        ("Ensure that Service Account Tokens are only mounted", True,
         "Ensure that Service Account Tokens are only mounted"),
        ("key AKIAZ7QW3RTY5UIOPLKJ in text", True, "key <secret> in text"),
        ("DB_PASSWORD=${DB_PASSWORD}", False, "DB_PASSWORD=${DB_PASSWORD}"),
        ("https://deploy:s3cretpass@git.example.com/x", True, "https://deploy:<secret>@git.example.com/x"),
    ],
)
def test_redact(text: str, prose: bool, expected: str) -> None:
    assert redact(text, prose=prose) == expected


def test_mask_shows_at_most_a_short_prefix_and_the_length() -> None:
    assert mask("hunter2") == "****** (7 chars)"
    assert mask("ghp_" + "x" * 36) == "ghp_****** (40 chars)"
