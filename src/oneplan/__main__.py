"""``python -m oneplan``: the command line."""

from oneplan.cli import main

main()
