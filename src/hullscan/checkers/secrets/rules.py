"""The secrets checker's rules, and which rule each kind of secret is reported under."""

from __future__ import annotations

import re

from hullscan.core.catalog import make_rule
from hullscan.core.model import Rule, Severity

NAME = "secrets"


def _rule(rule_id: str, name: str, what: str, why: str, severity: Severity) -> Rule:
    return make_rule(
        rule_id, name, f"{what} committed in plain text",
        f"A {what.lower()} is written in a file of the repository. {why} Anyone who can read "
        "the repository, its history, a fork or a built image can use it.",
        "Revoke and rotate the credential now (removing it from the file does not remove it "
        "from the history), then load it at run time from a secret store or the environment "
        "(Kubernetes Secrets from an external store, Docker build secrets, CI secrets).",
        severity, ("secrets", "CWE-798"),
    )


R = Severity
RULES: dict[str, Rule] = {r.id: r for r in (
    _rule("HS200", "aws-access-key-id", "AWS access key id",
          "Together with its secret key it grants the IAM user's permissions.", R.HIGH),
    _rule("HS201", "private-key", "Private key (PEM, OpenSSH or PGP)",
          "It impersonates its owner: TLS servers, SSH logins, signatures.", R.CRITICAL),
    _rule("HS202", "github-token", "GitHub token",
          "It acts on GitHub with its owner's permissions.", R.CRITICAL),
    _rule("HS203", "gitlab-token", "GitLab token",
          "It acts on GitLab with its owner's permissions.", R.CRITICAL),
    _rule("HS204", "slack-token", "Slack token",
          "It reads and posts in the workspace.", R.HIGH),
    _rule("HS205", "stripe-key", "Stripe live key",
          "It moves money on the Stripe account.", R.CRITICAL),
    _rule("HS206", "npm-token", "npm token",
          "It publishes packages as its owner (a supply-chain risk).", R.HIGH),
    _rule("HS207", "pypi-token", "PyPI token",
          "It publishes packages as its owner (a supply-chain risk).", R.HIGH),
    _rule("HS208", "json-web-token", "JSON Web Token",
          "It is a bearer credential until it expires.", R.HIGH),
    _rule("HS209", "password-in-url", "Password in a URL",
          "Basic-auth URLs give the password to anyone reading the URL.", R.HIGH),
    _rule("HS210", "secret-keyword-assignment", "Secret assigned to a secret-named key",
          "A password, token or key is set to a literal value.", R.MEDIUM),
    _rule("HS211", "aws-secret-access-key", "AWS secret access key",
          "It signs AWS API calls as its IAM user.", R.CRITICAL),
    _rule("HS212", "azure-storage-key", "Azure storage account key",
          "It gives full access to the storage account.", R.CRITICAL),
    _rule("HS213", "google-api-key", "Google API key",
          "It is billed to and acts for the Google Cloud project.", R.HIGH),
    _rule("HS214", "gcp-service-account-key", "GCP service-account key",
          "The private key of a service-account JSON signs in as that service account.",
          R.CRITICAL),
    _rule("HS215", "kubernetes-secret-literal", "Kubernetes Secret value",
          "A `Secret` manifest's `data`/`stringData` holds the real value.", R.HIGH),
)}
ALL_RULES = tuple(RULES.values())

# kind (redact.TOKEN_PATTERNS, detect-secrets' secret_type) -> rule id
KIND_RULE = {
    "AWS access key id": "HS200", "private key": "HS201", "GitHub token": "HS202",
    "GitLab token": "HS203", "Slack token": "HS204", "Stripe key": "HS205",
    "npm token": "HS206", "PyPI token": "HS207", "JSON Web Token": "HS208",
    "password in URL": "HS209", "AWS secret access key": "HS211",
    "Azure storage key": "HS212", "Google API key": "HS213",
    # detect-secrets
    "GitHub Token": "HS202", "Slack Token": "HS204", "Stripe Access Key": "HS205",
    "NPM tokens": "HS206", "Basic Auth Credentials": "HS209",
    "Azure Storage Account access key": "HS212",
}
DS_KIND = {
    "GitHub Token": "GitHub token", "Slack Token": "Slack token",
    "Stripe Access Key": "Stripe key", "NPM tokens": "npm token",
    "Basic Auth Credentials": "password in URL", "JSON Web Token": "JSON Web Token",
    "Azure Storage Account access key": "Azure storage key",
}
AWS_ID = re.compile(r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}")
# Rules more specific than a keyword assignment win when both see the same value.
PRIORITY = {"HS214": 0, "HS201": 1, "HS210": 9, "HS215": 8}
