"""`python -m eval`: run an evaluation from the command line."""

from eval.cli import main

raise SystemExit(main())
