"""Dependency scanning: reading lockfiles and manifests into packages to audit."""
