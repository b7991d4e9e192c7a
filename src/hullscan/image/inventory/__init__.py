"""Package inventories: each reads the files it asked the layer walker to capture and reports
the packages an image holds (OS packages, and language packages: Python, npm, Go, Java)."""
