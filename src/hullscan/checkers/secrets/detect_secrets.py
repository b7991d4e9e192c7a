"""The tool adapter: detect-secrets' regex plugins (checkov's `bc-detect-secrets`), in process."""

from __future__ import annotations

import re
from collections.abc import Iterable

from hullscan.checkers.secrets.hit import Hit
from hullscan.checkers.secrets.rules import AWS_ID, DS_KIND, KIND_RULE

DETECT_SECRETS_URI = "https://github.com/bridgecrewio/detect-secrets"


class Engine:
    """detect-secrets' regex plugins, instantiated once (no global settings, no filters)."""

    def __init__(self) -> None:
        from detect_secrets.plugins.aws import AWSKeyDetector
        from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
        from detect_secrets.plugins.basic_auth import BasicAuthDetector
        from detect_secrets.plugins.github_token import GitHubTokenDetector
        from detect_secrets.plugins.jwt import JwtTokenDetector
        from detect_secrets.plugins.npm import NpmDetector
        from detect_secrets.plugins.slack import SlackDetector
        from detect_secrets.plugins.stripe import StripeDetector

        self.plugins = [
            AWSKeyDetector(), AzureStorageKeyDetector(), BasicAuthDetector(),
            GitHubTokenDetector(), JwtTokenDetector(), NpmDetector(), SlackDetector(),
            StripeDetector(),
        ]

    def hits(self, line: str) -> Iterable[Hit]:
        for plugin in self.plugins:
            kind = str(plugin.secret_type)
            if kind == "Azure Storage Account access key" and not re.search(
                r"(?i)account_?key|azure", line
            ):
                continue  # its plugin wants this context too
            for found in plugin.analyze_string(line):
                if not isinstance(found, str) or not found:
                    continue
                secret = found if len(found) >= 8 else _whole_match(plugin, line, found)
                start = line.find(secret)
                if start < 0:
                    continue
                if kind == "AWS Access Key":
                    if AWS_ID.fullmatch(secret):
                        yield Hit("HS200", "AWS access key id", secret, secret, start)
                    else:
                        yield Hit("HS211", "AWS secret access key", secret, secret, start)
                    continue
                rule_id = KIND_RULE.get(kind)
                if rule_id is not None:
                    yield Hit(rule_id, DS_KIND.get(kind, kind), secret, secret, start)


def _whole_match(plugin: object, line: str, found: str) -> str:
    """A plugin whose regex captures only a prefix (`(ghp|gho)_...`): its whole match."""
    for regex in getattr(plugin, "denylist", ()):
        for m in regex.finditer(line):
            if found in m.group(0):
                return str(m.group(0))
    return found


def ds_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("bc-detect-secrets")
    except Exception:
        return None
