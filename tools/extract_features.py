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
    p.add_argument('--device', help='cpu, cuda or cuda:N (default: cuda when a GPU is visible, else cpu); with '
                   '--launcher, cuda is each process\'s GPU (LOCAL_RANK, SLURM_LOCALID)')
    p.add_argument('--batch-size', type=int, default=32, help='rows per forward pass')
    p.add_argument('--workers', type=int, default=0, help='decoder threads (0: automatic)')
    p.add_argument('--decoder', default='ffmpeg', choices=['ffmpeg', 'decord'],
                   help='video decoder: ffmpeg (one sequential pass decoding ahead, bicubic resize) '
                   'or decord (bilinear resize); same frames and geometry')
    p.add_argument('--threads', type=int, help='torch CPU threads (default: torch default)')
    p.add_argument('--clip-model', help='open_clip model name (default: the recipe\'s, ViT-B-32-quickgelu; '
                   'another one makes custom features)')
    # checkpoints: a local file, an http(s) URL (downloaded once into the torch hub cache), or 'none'
    p.add_argument('--clip-checkpoint', help='OpenAI ViT-B-32.pt, an open_clip .bin/.safetensors, a timm image '
                   'tower, an open_clip pretrained tag (e.g. openai, downloads when online) or "none"')
    p.add_argument('--panns-checkpoint', help='Cnn14_mAP=0.431.pth or "none"')
    p.add_argument('--slowfast-checkpoint', help='SlowFast weights: the converted SLOWFAST_8x8_R50 (.safetensors or '
                   'the .pkl) for the recipes, an mmaction2 4x16 checkpoint for hero_qvhighlights_mmaction, or "none"')
    p.add_argument('--resnet-checkpoint', help='soccernet: Keras resnet152_weights_tf_dim_ordering_tf_kernels.h5 '
                   '(or its tools/convert_weights.py keras-resnet152 conversion); other layouts: torchvision '
                   'ResNet-152 state dict or "torchvision"; "none" for random weights')
    p.add_argument('--vggish-checkpoint', help='V&D\'s vggish_audioset_weights_without_fc2.h5, its conversion, '
                   'torchvggish vggish-10086976.pth, or "none"')
    p.add_argument('--pca', help='soccernet: the PCA applied to ResNet features: SoccerNet\'s '
                   'pca_512_TF2.pkl,average_512_TF2.pkl (read as data), their conversion (.npz) or an .npz '
                   'from --fit-pca')
    p.add_argument('--fit-pca', action='store_true', help='soccernet: fit the PCA on the INPUT '
                   '(training) videos, save it to --pca and exit (only for features without a published PCA)')
    p.add_argument('--fix-channel-order', action='store_true', help='soccernet: feed the ResNet BGR frames as '
                   'it was trained (SoccerNet\'s features were made RGB-in-BGR-slots; needs a PCA fitted on '
                   'fixed features, --fit-pca)')
    p.add_argument('--vggish-fix-quirks', action='store_true', help='soccernet: keep every VGGish row in place '
                   'and accept audio under 30 s (V&D\'s extraction misplaces the last batch of 60 rows and fails '
                   'under 30 s; default: as V&D)')
    p.add_argument('--random-init', action='store_true',
                   help='random weights for every network without a checkpoint (tests, benchmarks)')
    p.add_argument('--queries', help='QVHighlights-style .jsonl (qid, query): also write CLIP text features')
    p.add_argument('--audio-language', help='preferred audio languages, e.g. en,hin,hi '
                   '(first matching stream, else the default stream; hotstar default en,eng,hin,hi)')
    p.add_argument('--output-pattern', action='append', default=[], metavar='FEATURE=PATTERN',
                   help='override a file name, e.g. resnet={game}/{half}_ResNET_PCA512.npy')
    p.add_argument('--overwrite', action='store_true', help='redo videos whose outputs exist')
    p.add_argument('--launcher', default='none', choices=['none', 'pytorch', 'slurm'],
                   help='share the videos among the processes of torchrun (RANK, WORLD_SIZE; tools/torchrun.sh) or '
                        'Slurm (SLURM_PROCID, SLURM_NTASKS; tools/slurm_run.sh; and the jobs of an --array)')
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
        from highlight_plugin.engine.device import default_device, rank_device
        args.device = rank_device(args.device or default_device(), args.launcher)
        layout = get_layout(args.layout)
        patterns = {}
        for item in args.output_pattern:
            if '=' not in item:
                raise ConfigError(f'--output-pattern {item!r}: expected FEATURE=PATTERN')
            name, pattern = item.split('=', 1)
            patterns[name.strip()] = pattern.strip()
        layout = layout.with_patterns(patterns) if patterns else layout
        features = [f.strip() for f in args.features.split(',')] if args.features else None
        checkpoints = dict(clip=args.clip_checkpoint, panns=args.panns_checkpoint,
                           slowfast=args.slowfast_checkpoint, resnet=args.resnet_checkpoint,
                           vggish=args.vggish_checkpoint)
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
            fit_pca_on_videos([v for v, _ in videos], args.pca, device=args.device,
                              checkpoint=checkpoints['resnet'], random_init=args.random_init,
                              batch_size=args.batch_size, backend=args.decoder,
                              fix_channel_order=args.fix_channel_order)
            print(f'PCA saved to {args.pca}')
            return 0
        extractors = build_extractors(layout, features, args.clip_len, args.device, args.batch_size,
                                      checkpoints, args.random_init, options, recipe=recipe)
        langs = [s.strip() for s in args.audio_language.split(',')] if args.audio_language else None
        counts = run_extraction(videos, args.out_dir, layout, extractors, args.overwrite, langs,
                                args.workers, rank, world, progress=not args.no_progress,
                                backend=args.decoder)
        print(f'[rank {rank}/{world}] videos: {counts["done"]} done, {counts["skipped"]} skipped, '
              f'{counts["failed"]} failed' + (f' (see {args.out_dir}/failures.jsonl)' if counts['failed'] else ''))
        if args.queries:
            from highlight_plugin.features.builder import build_text_encoder
            encoder = build_text_encoder(layout, extractors.get('clip'), args.clip_checkpoint, args.device,
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
