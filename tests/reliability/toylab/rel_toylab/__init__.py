"""The toy lab the reliability tests point `HARNESS_CHAPTER` at: one task, quick checks."""
