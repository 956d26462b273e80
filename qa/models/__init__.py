"""The shipped reader: `reader.safetensors` with its record `reader.json` and its model card `README.md`."""

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
WEIGHTS_FILE = "reader.safetensors"
