"""The ``actloop`` command line: a thin layer over the rooms.

Each module in ``actloop.cli.commands`` is one subcommand, found by convention: it
defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``. Adding a
command is adding a module; there is no list to keep in sync.
"""
