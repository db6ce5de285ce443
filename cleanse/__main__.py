"""Allow ``python -m cleanse``."""

from cleanse.cli import main

if __name__ == "__main__":
    main()
