"""`python -m bot` and the `ppid-bot` console script: the command line."""

from bot.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
