# V&D Method 4 (best setting: NetVLAD K=512, 20-s windows) on the 5 highlight classes.
_base_ = ['../_base_/models/soccer_netvlad512_concat.py', '../_base_/datasets/soccernet_v2_highlight.py',
          './_base_/soccer_runtime.py']
