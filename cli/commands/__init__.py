"""One module per ``actloop`` subcommand (see ``actloop.cli``)."""
