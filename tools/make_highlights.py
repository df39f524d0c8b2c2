"""From a raw video (a film, or a football match) to a short-form reel: clips (MP4), reel, JSON, plot, report page
and editor exports; or the same for a whole catalogue.

Examples:
    python tools/make_highlights.py film.mp4 configs/umt_hotstar.py work_dirs/umt_hotstar/best.pth \\
        --clip-checkpoint ViT-B-32.bin --panns-checkpoint Cnn14_mAP=0.431.pth --out-dir reels/film --vertical follow
    python tools/make_highlights.py game/1_224p.mkv configs/soccernet/netvlad512_cmga-after_20s_highlight.py \\
        CKPT --second-half game/2_224p.mkv --features game --out-dir reels/game --classes goal,card
    python tools/make_highlights.py films/ configs/umt_hotstar.py CKPT ... --out-dir reels/   # reels/<video id>/
    bash tools/torchrun.sh 2 tools/make_highlights.py list.txt configs/umt_hotstar.py CKPT ... --out-dir reels/ \\
        --launcher pytorch
"""
import argparse
import os
import os.path as osp
import sys

# torch's OpenMP workers sleep instead of spinning between batches: ffmpeg decodes on the same cores meanwhile
# (about 5% of the run on 2 cores); set before torch is imported, a user's setting wins
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mmengine.config import DictAction  # noqa: E402

from highlight_plugin.engine.cli import run_cli  # noqa: E402

# options that only one domain (inference_cfg.task) reads
DOMAIN_OPTIONS = dict(
    saliency=('query', 'clip_checkpoint', 'panns_checkpoint', 'slowfast_checkpoint', 'min_len', 'max_len', 'top_k',
              'audio_language'),
    spotting=('second_half', 'second_half_start', 'half', 'video_ini', 'classes', 'resnet_checkpoint',
              'vggish_checkpoint', 'pca'))
DOMAIN_NAMES = dict(saliency='film (saliency)', spotting='football (spotting)')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('inputs', nargs='+', metavar='VIDEO',
                   help='the video (football: the first half, or the whole match); several videos, a folder '
                        '(searched recursively) or a .txt list make a catalogue: one reel per video (football: per '
                        'folder holding 1_<name> and 2_<name> halves) in OUT/<id>/')
    p.add_argument('config')
    p.add_argument('checkpoint', help='trained model weights ("none": random weights, for trying the pipeline)')
    p.add_argument('--out-dir', required=True, metavar='OUT')
    p.add_argument('--features', metavar='DIR',
                   help='read the features from this dataset folder instead of extracting them (films: the '
                        'layout\'s files of the video, e.g. clip_features/<vid>.npz; football: '
                        '{1,2}_ResNET_TF2_PCA512.npy etc.); the video is only decoded at 64x36 (shot changes, '
                        '--vertical follow) and for its audio (pauses), and cut')
    p.add_argument('--random-init', action='store_true', help='random feature networks where no weights are given')
    p.add_argument('--seed', type=int, help='seed of the random weights (checkpoint "none", --random-init)')
    p.add_argument('--budget', type=float, help='at most this many seconds in all clips')
    p.add_argument('--snap', type=float, default=2.0, metavar='SECONDS',
                   help='move each clip edge to the nearest shot change, else to a pause in the audio, within '
                        'this many seconds (0: off; football clips only grow, never losing their event)')
    p.add_argument('--vertical', choices=['crop', 'blur', 'follow'],
                   help='9:16 clips: centre crop, blurred fill, or a window following the action (per shot)')
    p.add_argument('--vertical-size', default='source', metavar='WxH',
                   help='size of 9:16 clips: "source" (the source\'s height, never upscaled; default) or e.g. '
                        '1080x1920')
    p.add_argument('--loudness', default='-14', metavar='LUFS',
                   help='EBU R128 integrated loudness of every clip and the reel (default -14), or "off"')
    p.add_argument('--true-peak', type=float, default=-1.0, metavar='DBTP', help='true-peak ceiling (default -1)')
    p.add_argument('--preset', default='superfast', help='x264 preset of the clips (default superfast)')
    p.add_argument('--no-cut', action='store_true', help='write the JSON, plot and exports only')
    p.add_argument('--overwrite', action='store_true', help='catalogue: redo videos whose reel is finished')
    p.add_argument('--launcher', default='none', choices=['none', 'pytorch', 'slurm'],
                   help='catalogue: share the videos among the processes of torchrun (RANK, WORLD_SIZE; '
                        'tools/torchrun.sh) or Slurm (SLURM_PROCID, SLURM_NTASKS; tools/slurm_run.sh; and the jobs '
                        'of an --array)')
    p.add_argument('--device', help='cpu, cuda or cuda:N (default: cuda when a GPU is visible, else cpu); with '
                   '--launcher, cuda is each process\'s GPU (LOCAL_RANK, SLURM_LOCALID)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config values, key=value')
    film = p.add_argument_group('films (saliency models)')
    film.add_argument('--query', help='text query, for query-conditioned models (QVHighlights)')
    film.add_argument('--clip-checkpoint',
                      help='CLIP ViT-B/32 weights: OpenAI ViT-B-32.pt or open_clip_model.safetensors')
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


def reel_options(args):
    """make_highlights' reel options from the command line (ConfigError for bad values)."""
    from highlight_plugin.engine.errors import ConfigError
    from highlight_plugin.render import LoudnessTarget
    from highlight_plugin.render.cut import vertical_size
    if args.snap < 0:
        raise ConfigError(f'--snap: seconds must be 0 (off) or more, got {args.snap}')
    if args.loudness.lower() == 'off':
        loudness = None
    else:
        try:
            loudness = LoudnessTarget(integrated=float(args.loudness), true_peak=args.true_peak)
        except ValueError:
            raise ConfigError(f'--loudness: LUFS (e.g. -14) or "off", got {args.loudness!r}') from None
        if not -70 < loudness.integrated < 0 or loudness.true_peak > 0:
            raise ConfigError('--loudness must lie between -70 and 0 LUFS and --true-peak at or under 0 dBTP')
    size = args.vertical_size.lower()
    if size != 'source':
        try:
            width, height = (int(v) for v in size.split('x'))
        except ValueError:
            raise ConfigError(f'--vertical-size: "source" or WxH (e.g. 1080x1920), got {args.vertical_size!r}') \
                from None
        if (width, height) != vertical_size(width, height, height):
            raise ConfigError(f'--vertical-size {args.vertical_size}: not 9:16 in even pixels (e.g. 1080x1920, '
                              f'720x1280)')
        size = height
    return dict(snap=args.snap, loudness=loudness, vertical_size=size, preset=args.preset, vertical=args.vertical,
                cut=not args.no_cut)


def is_catalogue(inputs):
    return len(inputs) > 1 or osp.isdir(inputs[0]) or inputs[0].lower().endswith(('.txt', '.lst'))


def main(argv=None):
    parser, args = parse_args(argv)
    reel = reel_options(args)
    catalogue = is_catalogue(args.inputs)
    ahead = None
    if not catalogue and not args.features:  # the decode starts while the networks are built
        from highlight_plugin.apis.highlights import decode_ahead
        ahead = decode_ahead(args.inputs[0], args.config, args.cfg_options, reel['vertical'], reel['snap'],
                             [s for s in args.audio_language.split(',') if s])
    try:
        make(args, parser, reel, catalogue, ahead)
    finally:
        if ahead is not None:
            ahead.close()


def make(args, parser, reel, catalogue, ahead):
    from highlight_plugin.apis import init_model, make_highlights
    from highlight_plugin.apis.highlights import build_decoder, domain_inputs
    from highlight_plugin.engine.device import default_device, rank_device
    from highlight_plugin.engine.errors import ConfigError
    args.device = rank_device(args.device or default_device(), args.launcher)
    from highlight_plugin.features import get_layout
    from highlight_plugin.features.builder import build_extractors, build_text_encoder

    checkpoint = None if args.checkpoint.lower() == 'none' else args.checkpoint
    if args.seed is not None:
        import torch
        torch.manual_seed(args.seed)
    model = init_model(args.config, checkpoint, device=args.device, cfg_options=args.cfg_options, strict=True)
    cfg = domain_inputs(model)
    task = cfg['task']
    for other, dests in DOMAIN_OPTIONS.items():
        given = [d for d in dests if other != task and getattr(args, d) != parser.get_default(d)]
        if given:
            raise ConfigError(f'--{given[0].replace("_", "-")} is for {DOMAIN_NAMES[other]} models; '
                              f'{args.config} is a {DOMAIN_NAMES[task]} model')
    if catalogue and task == 'spotting':
        given = [d for d in ('second_half', 'second_half_start', 'half', 'video_ini') if getattr(args, d) is not None]
        if given:
            raise ConfigError(f'--{given[0].replace("_", "-")} names one match; a catalogue is made of folders '
                              f'holding 1_<name> and 2_<name> halves')
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
    if catalogue:
        return make_catalogue(args, task, model, extractors, decoder, reel, options)
    result = make_highlights(args.inputs[0], model, extractors, args.out_dir, decoder=decoder,
                             features_dir=args.features, ahead=ahead, **reel, **options)
    for i, seg in enumerate(result.segments, 1):
        event = f'  {seg["clock"]}, {seg["class"]} ({seg["confidence"]:.2f})' if 'clock' in seg else ''
        print(f'{i:2d}. {seg["start"]:9.2f}-{seg["end"]:9.2f} s  score {seg["score"]:.3f}{event}')
    print(f'wrote {result.files["report"]}')


def make_catalogue(args, task, model, extractors, decoder, reel, options):
    """One reel per film / match of the inputs in OUT/<id>/ (highlight_plugin.apis.catalogue)."""
    from highlight_plugin.apis import make_highlights
    from highlight_plugin.apis.catalogue import film_items, match_items, run_catalogue
    from highlight_plugin.engine.dist import launcher_shard
    rank, world = launcher_shard(args.launcher)
    if task == 'spotting':
        items, rejected = match_items(args.inputs, args.features)
    else:
        items, rejected = film_items(args.inputs, args.features), []

    def make(item, out_dir):
        return make_highlights(item.video, model, extractors, out_dir, decoder=decoder,
                               features_dir=item.features_dir, **reel, **dict(options, **item.options))

    counts = run_catalogue(items, args.out_dir, make, overwrite=args.overwrite, rank=rank, world_size=world,
                           rejected=rejected)
    print(f'[rank {rank}/{world}] reels: {counts["done"]} done, {counts["skipped"]} skipped, {counts["failed"]} '
          f'failed' + (f' (see {args.out_dir}/failures.jsonl)' if counts['failed'] else ''))


if __name__ == '__main__':
    run_cli(main)
