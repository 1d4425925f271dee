"""Parsers of HLS tool reports into plain dictionaries (figures the run report and the CLI show)."""
