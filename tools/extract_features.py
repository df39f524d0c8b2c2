"""Extract clip features from raw videos into a dataset's feature layout.

Examples::

    python tools/extract_features.py videos/ --out-dir data/qvhighlights --layout qvhighlights \\
        --clip-checkpoint ViT-B-32.pt --slowfast-checkpoint slowfast_8x8.safetensors \\
        --panns-checkpoint Cnn14_mAP=0.431.pth --queries highlight_val_release.jsonl
    python tools/extract_features.py film.mp4 --out-dir data/hotstar --layout hotstar \\
        --clip-checkpoint open_clip_model.safetensors --panns-checkpoint Cnn14_mAP=0.431.pth

Each layout extracts by default the recipe its published features were made with (README, "Published
weights and features"); --recipe names another one, and every output directory gets a provenance.json.
    torchrun --nproc_per_node 2 tools/extract_features.py list.txt --out-dir out --layout hotstar \\
        --launcher pytorch --random-init
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from highlight_plugin.apis import cli  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('inputs', nargs='+', metavar='INPUT',
                   help='video file, directory (searched recursively) or .txt list of videos')
    p.add_argument('--out-dir', required=True, help='dataset feature directory')
    p.add_argument('--layout', required=True, choices=['qvhighlights', 'hotstar', 'soccernet'])
    p.add_argument('--features', help='comma list from clip,panns,slowfast,resnet,vggish '
                   '(default: qvhighlights clip,slowfast,panns; hotstar clip,panns; soccernet resnet,vggish)')
    p.add_argument('--recipe', help='feature recipe (default: the layout\'s: qvhighlights hero_qvhighlights, '
                   'hotstar univtg_hotstar); hero_qvhighlights_mmaction for mmaction2\'s SlowFast 4x16; '
                   '"custom" for the layout\'s own settings')
    p.add_argument('--clip-len', type=float, help='seconds per row for every feature (changes the recipe: '
                   'custom features; default per layout: qvhighlights 2; hotstar CLIP 1, PANNs 2; soccernet 0.5)')
    p.add_argument('--batch-size', type=int, default=32, help='rows per forward pass')
    p.add_argument('--workers', type=int, default=0, help='ffmpeg threads reading the video (0: automatic)')
    p.add_argument('--reader', '--decoder', dest='reader', default='ffmpeg', choices=['ffmpeg', 'decord'],
                   help='what reads the frames: ffmpeg (one sequential pass reading ahead, bicubic resize) or decord '
                   '(bilinear resize); same frames and geometry (--decoder: its former name)')
    p.add_argument('--threads', type=int, help='torch CPU threads (default: torch default)')
    p.add_argument('--clip-model', help='open_clip model name (default: the recipe\'s, ViT-B-32-quickgelu; '
                   'another one makes custom features)')
    p.add_argument('--fit-pca', action='store_true', help='soccernet: fit the PCA on the INPUT '
                   '(training) videos, save it to --pca and exit (only for features without a published PCA)')
    p.add_argument('--fix-channel-order', action='store_true', help='soccernet: feed the ResNet BGR frames as '
                   'it was trained (SoccerNet\'s features were made RGB-in-BGR-slots; needs a PCA fitted on '
                   'fixed features, --fit-pca)')
    p.add_argument('--vggish-fix-quirks', action='store_true', help='soccernet: keep every VGGish row in place '
                   'and accept audio under 30 s (V&D\'s extraction misplaces the last batch of 60 rows and fails '
                   'under 30 s; default: as V&D)')
    p.add_argument('--queries', help='QVHighlights-style .jsonl (qid, query): also write CLIP text features')
    p.add_argument('--output-pattern', action='append', default=[], metavar='FEATURE=PATTERN',
                   help='override a file name, e.g. resnet={game}/{half}_ResNET_PCA512.npy')
    cli.add_run_options(p)
    cli.add_weight_options(p)
    p.add_argument('--no-progress', action='store_true', help='no progress bars')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from highlight_plugin.engine.errors import ConfigError, HighlightError
    try:
        import torch

        from highlight_plugin.apis.extract_catalogue import (collect_videos, read_queries, run_extraction,
                                                             run_text_extraction)
        from highlight_plugin.features import get_layout
        from highlight_plugin.features.builder import build_extractors
        if args.threads:
            torch.set_num_threads(args.threads)
        from highlight_plugin.engine.dist import launcher_shard
        rank, world = launcher_shard(args.launcher)
        device = cli.device(args)
        layout = get_layout(args.layout)
        patterns = {}
        for item in args.output_pattern:
            if '=' not in item:
                raise ConfigError(f'--output-pattern {item!r}: expected FEATURE=PATTERN')
            name, pattern = item.split('=', 1)
            patterns[name.strip()] = pattern.strip()
        layout = layout.with_patterns(patterns) if patterns else layout
        features = [f.strip() for f in args.features.split(',')] if args.features else None
        checkpoints = {k: v for k, v in cli.weights_from_args(args).items() if k != 'pca'}
        options = dict(clip=dict(model_name=args.clip_model), resnet=dict(pca=args.pca))
        recipe = args.recipe if args.recipe is not None else layout.recipe
        if args.fix_channel_order or args.vggish_fix_quirks:
            if layout.name != 'soccernet':
                raise ConfigError('--fix-channel-order / --vggish-fix-quirks apply to the soccernet layout')
            if args.fix_channel_order:
                options['resnet']['fix_channel_order'] = True
            if args.vggish_fix_quirks:
                options['vggish'] = dict(reference_quirks=False)
        videos = collect_videos(args.inputs)
        if args.fit_pca:
            from highlight_plugin.apis.extract_catalogue import fit_pca_on_videos
            from highlight_plugin.features.keras_resnet import raw_soccernet_extractor
            resnet = raw_soccernet_extractor(checkpoints.get('resnet'), args.random_init, device, args.batch_size,
                                             args.fix_channel_order)
            fit_pca_on_videos([v for v, _ in videos], args.pca, resnet, backend=args.reader)
            print(f'PCA saved to {args.pca}')
            return 0
        options['*'] = dict(batch_size=args.batch_size)
        extractors = build_extractors(layout, features, args.clip_len, device, checkpoints, args.random_init,
                                      options, recipe=recipe)
        langs = cli.audio_languages(args) or None
        counts = run_extraction(videos, args.out_dir, layout, extractors, overwrite=args.overwrite,
                                audio_languages=langs, decode_threads=args.workers, rank=rank, world_size=world,
                                progress=not args.no_progress, backend=args.reader)
        print(f'[rank {rank}/{world}] videos: {counts["done"]} done, {counts["skipped"]} skipped, '
              f'{counts["failed"]} failed' + (f' (see {args.out_dir}/failures.jsonl)' if counts['failed'] else ''))
        if args.queries:
            from highlight_plugin.features.builder import build_text_encoder
            encoder = build_text_encoder(layout, extractors.get('clip'), checkpoints.get('clip'), device,
                                         args.random_init, recipe=recipe, model_name=args.clip_model)
            qc = run_text_extraction(read_queries(args.queries), args.out_dir, layout, encoder,
                                     args.overwrite, rank=rank, world_size=world)
            print(f'[rank {rank}/{world}] queries: {qc["done"]} done, {qc["skipped"]} skipped')
    except HighlightError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
