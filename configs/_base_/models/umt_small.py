# UMT-S: UMT-B with one decoder layer (the only difference between the two; docs/umt.md §3 step 5).
_base_ = ['./umt_base.py']
model = dict(query_dec=dict(num_layers=1))
