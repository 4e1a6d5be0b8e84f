"""``python -m benchmarks.matching``: run the matching benchmark."""

from benchmarks.matching.bench import main

if __name__ == "__main__":
    raise SystemExit(main())
