"""Images per second of SoccerNet's ResNet-152 (Keras v1 port, BatchNorm folded, channels-last) on the CPU.

    python benchmarks/resnet_speed.py [--threads 2] [--batch-size 16] [--batches 4] [--compare]

Random weights, 224x224 frames through ``SoccerNetResNetExtractor.raw_features`` (Caffe preprocessing included),
one warm-up batch, then ``--batches`` timed batches. ``--compare`` also times torchvision's ResNet-152 (v1.5,
channels-last, BatchNorm not folded), the port without folding, and the port folded but without oneDNN's fused
add/ReLU. The last line is the port's images/s.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from highlight_plugin.features import keras_resnet  # noqa: E402
from highlight_plugin.features.keras_resnet import SoccerNetResNetExtractor, build_keras_resnet  # noqa: E402


def images_per_second(forward, rows, batches):
    forward(rows)  # warm-up
    start = time.perf_counter()
    for _ in range(batches):
        forward(rows)
    return batches * len(rows) / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--batches', type=int, default=4)
    p.add_argument('--compare', action='store_true', help='also time torchvision and the unfolded port')
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    rows = np.random.default_rng(0).integers(0, 256, (args.batch_size, 1, 224, 224, 3), dtype=np.uint8)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}, '
          f'{args.batches} timed batches')
    if args.compare:
        import torchvision
        tv = torchvision.models.resnet152().eval().to(memory_format=torch.channels_last)

        @torch.inference_mode()
        def torchvision_forward(r):
            x = torch.from_numpy(r[:, 0]).float().permute(0, 3, 1, 2)
            return tv(x)

        print(f'torchvision resnet152 (v1.5, channels-last): '
              f'{images_per_second(torchvision_forward, rows, args.batches):.2f} images/s')
        unfolded = SoccerNetResNetExtractor(0.5, model=build_keras_resnet(None, fold=False))
        print(f'Keras v1 port, BatchNorm not folded: '
              f'{images_per_second(unfolded.raw_features, rows, args.batches):.2f} images/s')
        fused, keras_resnet.FUSED_CONV = keras_resnet.FUSED_CONV, None
        folded = SoccerNetResNetExtractor(0.5, model=build_keras_resnet(None))
        print(f'Keras v1 port, folded, separate add/ReLU: '
              f'{images_per_second(folded.raw_features, rows, args.batches):.2f} images/s')
        keras_resnet.FUSED_CONV = fused
    ex = SoccerNetResNetExtractor(0.5, model=build_keras_resnet(None))
    print(f'Keras ResNet-152 v1 port (folded, fused add/ReLU, channels-last) images/s: '
          f'{images_per_second(ex.raw_features, rows, args.batches):.2f}')


if __name__ == '__main__':
    main()
