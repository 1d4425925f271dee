"""Task suites (YAML), importers for public formats, and benchmark metrics."""
