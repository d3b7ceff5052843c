"""``python -m peloton_export``."""

from peloton_export.cli import main

if __name__ == "__main__":
    main()
