"""Infrastructure as code: framework detection, checkov severities and locations."""
