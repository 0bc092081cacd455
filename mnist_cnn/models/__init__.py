"""The networks as data: architecture specs, the framework-neutral weight layout, batch-norm folding."""
