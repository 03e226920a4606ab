"""Statistical building blocks shared by the analyses (intervals, tests, survey designs)."""
