"""Package extraction: one Extractor interface (osv-scalibr's shape) for lockfiles, manifests
and installed-package records, used on a repository tree and on an image filesystem alike.
See `interface` for the contract and `registry` for the extractors there are."""
