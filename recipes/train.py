#!/usr/bin/env python
"""Train a speech emotion recognition model from a YAML recipe.

Usage:
    accelerate launch recipes/train.py recipes/synthetic/default.yaml
    accelerate launch recipes/train.py recipes/emodb/mfcc_cnn.yaml --data_dir DIR --output_dir OUT --learning_rate 3e-4
    accelerate launch --config_file recipes/accelerate_configs/cpu_ddp.yaml recipes/train.py CONFIG.yaml
    python recipes/train.py CONFIG.yaml --help      # every key a recipe accepts

Same as ``hf-ser train``; the logic lives in ``hf_ser.training.run`` (seed → logging → resume →
data → model → train → test → save + model card → push).
"""

import sys

from hf_ser.training.run import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
