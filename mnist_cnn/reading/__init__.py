"""Reading real handwritten digits: ink -> segmentation -> digits -> hypotheses -> reader, image
loading and annotation, the camera (with and without a window), and the `predict` / `camera` commands."""
