"""The foundation every layer stands on: the typed model, errors, configuration, safe reading of
scanned files (text, YAML), globs, the one subprocess helper, secret recognisers and masking,
image references, rule construction."""
