"""From a raw video to a short-form reel: clips (MP4), reel, JSON, plot, report page and editor exports.

Example:
    python tools/make_highlights.py film.mp4 configs/umt_hotstar.py work_dirs/umt_hotstar/best.pth \
        --clip-checkpoint ViT-B-32.bin --panns-checkpoint Cnn14_mAP=0.431.pth --out-dir reels/film
"""
import argparse

from mmengine.config import DictAction

from highlight_plugin.engine.cli import run_cli


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('video')
    p.add_argument('config')
    p.add_argument('checkpoint', help='trained model weights ("none": random weights, for trying the pipeline)')
    p.add_argument('--out-dir', required=True)
    p.add_argument('--query', help='text query, for query-conditioned models (QVHighlights)')
    p.add_argument('--clip-checkpoint', help='CLIP ViT-B/32 weights: OpenAI ViT-B-32.pt or open_clip_model.safetensors')
    p.add_argument('--panns-checkpoint', help='PANNs Cnn14 weights (Cnn14_mAP=0.431.pth)')
    p.add_argument('--slowfast-checkpoint', help='SlowFast 8x8 weights (QVHighlights models): SLOWFAST_8x8_R50.pkl or '
                   'its conversion (tools/convert_weights.py slowfast-caffe2)')
    p.add_argument('--random-init', action='store_true', help='random feature networks where no weights are given')
    p.add_argument('--min-len', type=float, default=15.0, help='shortest clip, seconds')
    p.add_argument('--max-len', type=float, default=60.0, help='longest clip, seconds')
    p.add_argument('--top-k', type=int, default=5, help='at most this many clips')
    p.add_argument('--budget', type=float, help='at most this many seconds in all clips')
    p.add_argument('--vertical', choices=['crop', 'blur'], help='9:16 clips (centre crop or blurred fill)')
    p.add_argument('--no-cut', action='store_true', help='write the JSON, plot and exports only')
    p.add_argument('--audio-language', default='', help='preferred audio tracks, e.g. en,hin,hi')
    p.add_argument('--device', default='cpu')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config values, key=value')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from highlight_plugin.apis import init_model, make_highlights
    from highlight_plugin.apis.highlights import model_inputs
    from highlight_plugin.decoding.saliency import SaliencySegmentDecoder
    from highlight_plugin.features import get_layout
    from highlight_plugin.features.builder import build_extractors, build_text_encoder

    checkpoint = None if args.checkpoint.lower() == 'none' else args.checkpoint
    model = init_model(args.config, checkpoint, device=args.device,
                       cfg_options=args.cfg_options)
    cfg = model_inputs(model)
    layout = get_layout(cfg.get('layout', 'hotstar'))
    names = list(dict.fromkeys((*cfg['video'], *cfg['audio'])))
    checkpoints = dict(clip=args.clip_checkpoint, panns=args.panns_checkpoint, slowfast=args.slowfast_checkpoint)
    extractors = build_extractors(layout, names, device=args.device, checkpoints=checkpoints,
                                  random_init=args.random_init, recipe=cfg.get('recipe'))
    text_encoder = None
    if cfg.get('query'):
        text_encoder = build_text_encoder(layout, extractors.get('clip'), args.clip_checkpoint, args.device,
                                          args.random_init, recipe=cfg.get('recipe'))
    decoder = SaliencySegmentDecoder(min_len=args.min_len, max_len=args.max_len, top_k=args.top_k,
                                     budget=args.budget)
    result = make_highlights(args.video, model, extractors, args.out_dir, decoder=decoder, layout=layout.name,
                             query=args.query, text_encoder=text_encoder, cut=not args.no_cut,
                             vertical=args.vertical,
                             audio_languages=[s for s in args.audio_language.split(',') if s])
    for i, seg in enumerate(result.segments, 1):
        print(f'{i:2d}. {seg["start"]:9.2f}-{seg["end"]:9.2f} s  score {seg["score"]:.3f}')
    print(f'wrote {result.files["report"]}')


if __name__ == '__main__':
    run_cli(main)
