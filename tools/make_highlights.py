"""From a raw video (a film, or a football match) to a short-form reel: clips (MP4), reel, JSON, plot, report page
and editor exports.

Examples:
    python tools/make_highlights.py film.mp4 configs/umt_hotstar.py work_dirs/umt_hotstar/best.pth \\
        --clip-checkpoint ViT-B-32.bin --panns-checkpoint Cnn14_mAP=0.431.pth --out-dir reels/film
    python tools/make_highlights.py game/1_224p.mkv configs/soccernet/netvlad512_cmga-after_20s_highlight.py \\
        CKPT --second-half game/2_224p.mkv --features game --out-dir reels/game --classes goal,card
"""
import argparse

from mmengine.config import DictAction

from highlight_plugin.engine.cli import run_cli

# options that only one domain (inference_cfg.task) reads
DOMAIN_OPTIONS = dict(
    saliency=('query', 'clip_checkpoint', 'panns_checkpoint', 'slowfast_checkpoint', 'min_len', 'max_len', 'top_k',
              'audio_language'),
    spotting=('second_half', 'second_half_start', 'half', 'video_ini', 'classes', 'resnet_checkpoint',
              'vggish_checkpoint', 'pca'))
DOMAIN_NAMES = dict(saliency='film (saliency)', spotting='football (spotting)')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('video', help='the video (football: the first half, or the whole match)')
    p.add_argument('config')
    p.add_argument('checkpoint', help='trained model weights ("none": random weights, for trying the pipeline)')
    p.add_argument('--out-dir', required=True)
    p.add_argument('--features', metavar='DIR',
                   help='read the features from this dataset folder instead of extracting them (films: the '
                        'layout\'s files of the video, e.g. clip_features/<vid>.npz; football: '
                        '{1,2}_ResNET_TF2_PCA512.npy etc.); the video is only cut')
    p.add_argument('--random-init', action='store_true', help='random feature networks where no weights are given')
    p.add_argument('--budget', type=float, help='at most this many seconds in all clips')
    p.add_argument('--vertical', choices=['crop', 'blur'], help='9:16 clips (centre crop or blurred fill)')
    p.add_argument('--no-cut', action='store_true', help='write the JSON, plot and exports only')
    p.add_argument('--device', default='cpu')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config values, key=value')
    film = p.add_argument_group('films (saliency models)')
    film.add_argument('--query', help='text query, for query-conditioned models (QVHighlights)')
    film.add_argument('--clip-checkpoint', help='CLIP ViT-B/32 weights: OpenAI ViT-B-32.pt or open_clip_model.safetensors')
    film.add_argument('--panns-checkpoint', help='PANNs Cnn14 weights (Cnn14_mAP=0.431.pth)')
    film.add_argument('--slowfast-checkpoint', help='SlowFast 8x8 weights (QVHighlights models): SLOWFAST_8x8_R50.pkl '
                      'or its conversion (tools/convert_weights.py slowfast-caffe2)')
    film.add_argument('--min-len', type=float, default=15.0, help='shortest clip, seconds')
    film.add_argument('--max-len', type=float, default=60.0, help='longest clip, seconds')
    film.add_argument('--top-k', type=int, default=5, help='at most this many clips')
    film.add_argument('--audio-language', default='', help='preferred audio tracks, e.g. en,hin,hi')
    match = p.add_argument_group('football (spotting models); a match is VIDEO plus one of the first three')
    match.add_argument('--second-half', metavar='FILE', help='the second half\'s video')
    match.add_argument('--second-half-start', metavar='T',
                       help='VIDEO holds the whole match; the second half starts at T (seconds, MM:SS or H:MM:SS)')
    match.add_argument('--half', type=int, metavar='N', help='VIDEO is the one half N')
    match.add_argument('--video-ini', metavar='PATH',
                       help='SoccerNet video.ini with each half\'s start in its file (default: a video.ini beside '
                            'the video, for the sections named after it)')
    match.add_argument('--classes', help='keep only these event classes, e.g. goal,card')
    match.add_argument('--resnet-checkpoint', help='Keras resnet152_weights_tf_dim_ordering_tf_kernels.h5 (or its '
                       'tools/convert_weights.py keras-resnet152 conversion)')
    match.add_argument('--vggish-checkpoint', help='V&D\'s vggish_audioset_weights_without_fc2.h5, its conversion, or '
                       'torchvggish vggish-10086976.pth')
    match.add_argument('--pca', help='SoccerNet\'s pca_512_TF2.pkl,average_512_TF2.pkl (read as data) or their '
                       'conversion (tools/convert_weights.py soccernet-pca)')
    return p, p.parse_args(argv)


def main(argv=None):
    parser, args = parse_args(argv)
    from highlight_plugin.apis import init_model, make_highlights
    from highlight_plugin.apis.highlights import build_decoder, domain_inputs
    from highlight_plugin.engine.errors import ConfigError
    from highlight_plugin.features import get_layout
    from highlight_plugin.features.builder import build_extractors, build_text_encoder

    checkpoint = None if args.checkpoint.lower() == 'none' else args.checkpoint
    model = init_model(args.config, checkpoint, device=args.device, cfg_options=args.cfg_options, strict=True)
    cfg = domain_inputs(model)
    task = cfg['task']
    for other, dests in DOMAIN_OPTIONS.items():
        given = [d for d in dests if other != task and getattr(args, d) != parser.get_default(d)]
        if given:
            raise ConfigError(f'--{given[0].replace("_", "-")} is for {DOMAIN_NAMES[other]} models; '
                              f'{args.config} is a {DOMAIN_NAMES[task]} model')
    layout = get_layout(cfg.get('layout', 'hotstar'))
    extractors = None
    if not args.features:
        names = list(dict.fromkeys((*cfg['video'], *cfg['audio'])))
        checkpoints = dict(clip=args.clip_checkpoint, panns=args.panns_checkpoint, slowfast=args.slowfast_checkpoint,
                           resnet=args.resnet_checkpoint, vggish=args.vggish_checkpoint)
        extractors = build_extractors(layout, names, device=args.device, checkpoints=checkpoints,
                                      random_init=args.random_init, options=dict(resnet=dict(pca=args.pca)),
                                      recipe=cfg.get('recipe'))
    if task == 'saliency':
        decoder = build_decoder(model, min_len=args.min_len, max_len=args.max_len, top_k=args.top_k,
                                budget=args.budget)
        text_encoder = None
        if cfg.get('query'):
            text_encoder = build_text_encoder(layout, (extractors or {}).get('clip'), args.clip_checkpoint,
                                              args.device, args.random_init, recipe=cfg.get('recipe'))
        options = dict(layout=layout.name, query=args.query, text_encoder=text_encoder,
                       audio_languages=[s for s in args.audio_language.split(',') if s])
    else:
        keep = None if args.classes is None else [c.strip() for c in args.classes.split(',') if c.strip()]
        decoder = build_decoder(model, budget=args.budget, keep=keep)
        options = dict(second_half=args.second_half, second_half_start=args.second_half_start, half=args.half,
                       video_ini=args.video_ini)
    result = make_highlights(args.video, model, extractors, args.out_dir, decoder=decoder,
                             features_dir=args.features, cut=not args.no_cut, vertical=args.vertical, **options)
    for i, seg in enumerate(result.segments, 1):
        event = f'  {seg["clock"]}, {seg["class"]} ({seg["confidence"]:.2f})' if 'clock' in seg else ''
        print(f'{i:2d}. {seg["start"]:9.2f}-{seg["end"]:9.2f} s  score {seg["score"]:.3f}{event}')
    print(f'wrote {result.files["report"]}')


if __name__ == '__main__':
    run_cli(main)
