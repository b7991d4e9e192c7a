"""The OSV engine: vulnerability sources (OSV API, local database), version ordering per
ecosystem, and OSV's matching rules. Shared by the dependency and image checkers."""
