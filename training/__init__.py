"""Training side of Segue: corpus, models, losses, training loops, evaluation, ONNX export (needs the `train` extra)."""
