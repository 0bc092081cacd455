"""Evaluation: predicting many images (predict.py), metrics, agreement of two models, inference
timing, printing a report, and placing a model on a device."""
