"""Reports: figures (matplotlib, lazily), a run's report.md, and the side-by-side comparison."""
