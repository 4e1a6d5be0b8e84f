"""Patient-matching benchmark (synthetic roster and cases): ``python -m benchmarks.matching``."""
