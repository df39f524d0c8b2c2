# V&D Method 4 on the 17 SoccerNet-v2 classes (+ background): spotting numbers comparable with published v2 ones.
_base_ = ['./netvlad512_concat_20s_highlight.py']
model = dict(num_classes=18)
soccer_classes = dict(classes='v2')
train_dataloader = dict(dataset=soccer_classes)
val_dataloader = dict(dataset=soccer_classes)
test_dataloader = dict(dataset=soccer_classes)
