# V&D Method 4 on SoccerNet-v1 (background/card/subs/soccer): the published audio+video setup.
_base_ = ['../_base_/models/soccer_netvlad512_concat.py', '../_base_/datasets/soccernet_v1.py',
          './_base_/soccer_runtime.py']
model = dict(num_classes=4)
