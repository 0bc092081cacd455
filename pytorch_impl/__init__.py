"""PyTorch backend: spec -> nn.Module, training steps, inference, safe save/load."""
