"""`python -m orbench` runs the CLI."""

from .cli import main

main()
