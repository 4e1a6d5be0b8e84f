"""``python -m chartfile``: the command line."""

from chartfile.cli.main import main

if __name__ == "__main__":
    main()
