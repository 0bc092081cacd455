"""Training: the one loop both frameworks share (loop.py), learning-rate schedules, ensembles,
and the allocator setting that keeps training free of page faults."""
