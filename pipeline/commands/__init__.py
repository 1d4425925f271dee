"""One module per ``p2s`` subcommand (``<name>_cmd.py``); see :mod:`pipeline.cli`."""
