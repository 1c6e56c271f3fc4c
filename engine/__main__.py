import sys

from engine.cli import main

# Guarded: worker processes started with "spawn" (the batch's local pool) import this module too.
if __name__ == "__main__":
    sys.exit(main())
