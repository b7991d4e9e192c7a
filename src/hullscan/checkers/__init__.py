"""The static registry of checkers. Modules are imported only when their checker runs, and heavy
libraries only inside the checker's `check`, so a Dockerfile hook never imports checkov."""

from __future__ import annotations

import importlib

from hullscan.checkers.interface import Checker

# name -> (module, class). Order is the order runs appear in the SARIF.
CHECKERS: dict[str, tuple[str, str]] = {
    "dockerfile": ("hullscan.checkers.dockerfile", "DockerfileChecker"),
    "compose": ("hullscan.checkers.compose", "ComposeChecker"),
    "iac": ("hullscan.checkers.iac", "IacChecker"),
    "deps": ("hullscan.checkers.deps", "DepsChecker"),
    "secrets": ("hullscan.checkers.secrets", "SecretsChecker"),
    "code": ("hullscan.checkers.code", "CodeChecker"),
    # runs only when an image is named (hullscan image REF, scan --image REF)
    "image": ("hullscan.checkers.image", "ImageChecker"),
}


def get_checker(name: str) -> Checker:
    module_name, class_name = CHECKERS[name]
    module = importlib.import_module(module_name)
    checker: Checker = getattr(module, class_name)()
    return checker
