"""From a raw video (a film, or a football match) to a short-form reel: clips (MP4), reel, JSON, plot, report page
and editor exports; or the same for a whole catalogue.

Examples:
    python tools/make_highlights.py film.mp4 --model umt-qvhighlights --query "the car chase" --out-dir reel/
    python tools/make_highlights.py film.mp4 configs/umt_hotstar.py work_dirs/umt_hotstar/best.pth \\
        --clip-checkpoint ViT-B-32.pt --panns-checkpoint Cnn14_mAP=0.431.pth --out-dir reels/film --vertical follow
    python tools/make_highlights.py game/1_224p.mkv configs/soccernet/netvlad512_cmga-after_20s_highlight.py \\
        CKPT --second-half game/2_224p.mkv --features game --out-dir reels/game --classes goal,card
    python tools/make_highlights.py films/ --model umt-qvhighlights --query "..." --out-dir reels/  # reels/<id>/
    bash tools/torchrun.sh 2 tools/make_highlights.py list.txt configs/umt_hotstar.py CKPT ... --out-dir reels/ \\
        --launcher pytorch
    python tools/make_highlights.py --recut reels/film [--edits edits.json]   # re-cut a reel, no network runs

With --model NAME every positional is a video; without it the last two are the model's CONFIG and CHECKPOINT (a
file, a zoo name, or "none" for random weights). A catalogue in which some videos failed finishes the others, then
exits with status 1.
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

from highlight_plugin.apis import cli  # noqa: E402
from highlight_plugin.engine.cli import run_cli  # noqa: E402
from highlight_plugin.engine.errors import ConfigError  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('inputs', nargs='*', metavar='VIDEO',
                   help='the video (football: the first half, or the whole match); several videos, a folder '
                        '(searched recursively) or a .txt list make a catalogue: one reel per video (football: per '
                        'folder holding 1_<name> and 2_<name> halves) in OUT/<id>/; then CONFIG CHECKPOINT unless '
                        '--model')
    p.add_argument('--model', metavar='NAME', help='a published model by name (python tools/check_weights.py --list): '
                   'its config, checkpoint and feature weights are fetched and verified on first use')
    p.add_argument('--out-dir', metavar='OUT', help='where the reel is written (a catalogue: OUT/<id>/)')
    p.add_argument('--recut', metavar='OUT', help='re-cut the reel in OUT from its saved result (no network runs): '
                   'with --edits, the editor\'s edit list; the reel options given replace those it was made with')
    p.add_argument('--edits', metavar='FILE', help='with --recut: an edit list (JSON, as the review page saves it)')
    p.add_argument('--features', metavar='DIR',
                   help='read the features from this dataset folder instead of extracting them (films: the '
                        'layout\'s files of the video, e.g. clip_features/<vid>.npz; football: '
                        '{1,2}_ResNET_TF2_PCA512.npy etc.); the video is only decoded at 64x36 (shot changes, '
                        '--vertical follow) and for its audio (pauses), and cut')
    p.add_argument('--seed', type=int, help='seed of the random weights (checkpoint "none", --random-init)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config values, key=value')
    cli.add_run_options(p)
    cli.add_reel_options(p)
    cli.add_weight_options(p)
    film = p.add_argument_group('films (saliency models)')
    film.add_argument('--query', help='text query, for query-conditioned models (QVHighlights)')
    film.add_argument('--min-len', type=float, help='shortest clip, seconds (default: the model\'s, 15)')
    film.add_argument('--max-len', type=float, help='longest clip, seconds (default: the model\'s, 60)')
    film.add_argument('--top-k', type=int, help='at most this many clips (default: the model\'s, 5)')
    match = p.add_argument_group('football (spotting models); a match is VIDEO plus one of the first three')
    match.add_argument('--second-half', metavar='FILE', help='the second half\'s video')
    match.add_argument('--second-half-start', metavar='T',
                       help='VIDEO holds the whole match; the second half starts at T (seconds, MM:SS or H:MM:SS)')
    match.add_argument('--half', type=int, metavar='N', help='VIDEO is the one half N')
    match.add_argument('--video-ini', metavar='PATH',
                       help='SoccerNet video.ini with each half\'s start in its file (default: a video.ini beside '
                            'the video, for the sections named after it)')
    match.add_argument('--classes', help='keep only these event classes, e.g. goal,card')
    args = p.parse_args(argv)
    if args.recut:
        return args
    if not args.out_dir:
        p.error('the following arguments are required: --out-dir')
    if args.model:
        args.videos, args.config, args.checkpoint = args.inputs, None, None
    elif len(args.inputs) < 3:
        p.error('give VIDEO... CONFIG CHECKPOINT, or VIDEO... --model NAME')
    else:
        args.videos, args.config, args.checkpoint = args.inputs[:-2], args.inputs[-2], args.inputs[-1]
    if not args.videos:
        p.error('no video given')
    return args


def predict_options(args) -> dict:
    """The options of the predictor's call (only those given: a model's domain refuses another's options)."""
    classes = None if args.classes is None else tuple(c.strip() for c in args.classes.split(',') if c.strip())
    given = dict(query=args.query, features_dir=args.features, snap=args.snap, follow=args.vertical == 'follow',
                 top_k=args.top_k, min_len=args.min_len, max_len=args.max_len, budget=args.budget, classes=classes,
                 audio_languages=cli.audio_languages(args), second_half=args.second_half,
                 second_half_start=args.second_half_start, half=args.half, video_ini=args.video_ini)
    return {k: v for k, v in given.items() if v not in (None, ())}


def is_catalogue(videos):
    return len(videos) > 1 or osp.isdir(videos[0]) or videos[0].lower().endswith(('.txt', '.lst'))


def build_predictor(args):
    """The predictor of ``--model`` or CONFIG CHECKPOINT, with the weight options given."""
    from highlight_plugin.apis import HighlightPredictor
    if args.seed is not None:
        import torch
        torch.manual_seed(args.seed)
    weights = cli.weights_from_args(args)
    device = cli.device(args)
    if args.model:
        return HighlightPredictor.from_pretrained(args.model, device=device, weights=weights,
                                                  cfg_options=args.cfg_options, random_init=args.random_init)
    checkpoint = None if args.checkpoint.lower() == 'none' else args.checkpoint
    return HighlightPredictor(args.config, checkpoint, weights, device=device, cfg_options=args.cfg_options,
                              random_init=args.random_init)


def main(argv=None):
    args = parse_args(argv)
    if args.recut:
        return recut(args)
    render = cli.render_options(args)
    options = predict_options(args)
    catalogue = is_catalogue(args.videos)
    ahead = None
    if not catalogue and args.config:  # the decode starts while the networks are built
        from highlight_plugin.apis import read_ahead
        ahead = read_ahead(args.videos[0], args.config, args.cfg_options, **options)
    try:
        predictor = build_predictor(args)
        if catalogue:
            return make_catalogue(args, predictor, options, render)
        make_one(args, predictor, options, render, ahead)
    finally:
        if ahead is not None:
            ahead.close()


def make_one(args, predictor, options, render, ahead):
    """One reel: predict, write, print the segments."""
    from highlight_plugin.engine.progress import reel_progress
    with reel_progress(args.features is None, desc=osp.basename(args.videos[0])[:30]) as progress:
        result = predictor(args.videos[0], progress=progress, ahead=ahead, **options)
        result.write(args.out_dir, progress=progress, **vars(render))
    for i, seg in enumerate(result.segments, 1):
        event = f'  {seg["clock"]}, {seg["class"]} ({seg["confidence"]:.2f})' if 'clock' in seg else ''
        print(f'{i:2d}. {seg["start"]:9.2f}-{seg["end"]:9.2f} s  score {seg["score"]:.3f}{event}')
    print(f'wrote {result.files["report"]}')


def make_catalogue(args, predictor, options, render):
    """One reel per film / match of the inputs in OUT/<id>/ (highlight_plugin.apis.catalogue); exits 1 when some
    failed (after finishing the others)."""
    from highlight_plugin.apis.catalogue import film_items, match_items, run_catalogue
    from highlight_plugin.engine.dist import launcher_shard
    if predictor.task == 'spotting':
        given = [d for d in ('second_half', 'second_half_start', 'half', 'video_ini') if d in options]
        if given:
            raise ConfigError(f'--{given[0].replace("_", "-")} names one match; a catalogue is made of folders '
                              f'holding 1_<name> and 2_<name> halves')
        items, rejected = match_items(args.videos, args.features)
    else:
        items, rejected = film_items(args.videos, args.features), []
    rank, world = launcher_shard(args.launcher)

    def make(item, out_dir):
        opts = dict(options, **item.options, features_dir=item.features_dir)
        return predictor(item.video, **{k: v for k, v in opts.items() if v is not None}).write(out_dir, **vars(render))

    counts = run_catalogue(items, args.out_dir, make, overwrite=args.overwrite, rank=rank, world_size=world,
                           rejected=rejected)
    print(f'[rank {rank}/{world}] reels: {counts["done"]} done, {counts["skipped"]} skipped, {counts["failed"]} '
          f'failed' + (f' (see {args.out_dir}/failures.jsonl)' if counts['failed'] else ''))
    if counts['failed']:
        sys.exit(1)


def recut(args):
    """Re-cut the reel of ``--recut OUT`` from its saved result, with the edit list of ``--edits``."""
    from highlight_plugin.apis.recut import recut_reel
    from highlight_plugin.render import RenderOptions
    default = vars(RenderOptions())  # options left at their defaults keep the reel's own
    changed = {k: v for k, v in vars(cli.render_options(args)).items() if v != default[k]}
    result = recut_reel(args.recut, edits=args.edits, render=changed)
    print(f'wrote {result.files["report"]}')


if __name__ == '__main__':
    run_cli(main)
