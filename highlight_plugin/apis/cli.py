"""The command-line options the tools share (weights, device, launcher, audio tracks, the reel's options), defined
once, and their conversion into the API's options (:class:`~.predictor.PredictOptions`,
:class:`~highlight_plugin.render.RenderOptions`)."""
import argparse

from ..engine.errors import ConfigError

WEIGHT_ROLES = ('clip', 'panns', 'slowfast', 'resnet', 'vggish')  # --ROLE-checkpoint; plus --pca


def add_weight_options(parser: argparse.ArgumentParser):
    """``--clip-checkpoint`` ... ``--vggish-checkpoint``, ``--pca`` and ``--random-init``: a file or a zoo name
    each (``python tools/check_weights.py --list``)."""
    from ..features.builder import WEIGHT_HINTS
    group = parser.add_argument_group('feature weights (a file or a zoo name; fetched and verified on first use)')
    for role in WEIGHT_ROLES:
        hint = WEIGHT_HINTS[role].split(' ', 2)[-1]  # after '--ROLE-checkpoint PATH'
        group.add_argument(f'--{role}-checkpoint', metavar='FILE|NAME', help=hint)
    group.add_argument('--pca', metavar='FILE|NAME', help='soccernet: the PCA applied to ResNet features: '
                       'SoccerNet\'s pca_512_TF2.pkl,average_512_TF2.pkl (read as data), their conversion (.npz) or '
                       'an .npz from tools/extract_features.py --fit-pca')
    group.add_argument('--random-init', action='store_true',
                       help='random weights for every network without weights (tests, trying the pipeline)')
    return group


def weights_from_args(args) -> dict:
    """role -> file or zoo name, for the weight options given."""
    weights = {role: getattr(args, f'{role}_checkpoint') for role in WEIGHT_ROLES}
    weights['pca'] = args.pca
    return {k: v for k, v in weights.items() if v is not None}


def add_run_options(parser: argparse.ArgumentParser):
    """``--device``, ``--launcher``, ``--audio-language`` and ``--overwrite``."""
    parser.add_argument('--device', help='cpu, cuda or cuda:N (default: cuda when a GPU is visible, else cpu); with '
                        '--launcher, cuda is each process\'s GPU (LOCAL_RANK, SLURM_LOCALID)')
    parser.add_argument('--launcher', default='none', choices=['none', 'pytorch', 'slurm'],
                        help='share the videos among the processes of torchrun (RANK, WORLD_SIZE; '
                             'tools/torchrun.sh) or Slurm (SLURM_PROCID, SLURM_NTASKS; tools/slurm_run.sh; and the '
                             'jobs of an --array)')
    parser.add_argument('--audio-language', default='', metavar='LANGS',
                        help='preferred audio tracks, e.g. en,hin,hi (the first matching stream, else the default '
                             'stream)')
    parser.add_argument('--overwrite', action='store_true', help='redo the videos whose outputs are finished')


def device(args) -> str:
    """``--device`` (default: CUDA when available), each process's own GPU under a launcher."""
    from ..engine.device import default_device, rank_device
    return rank_device(args.device or default_device(), args.launcher)


def audio_languages(args) -> tuple:
    return tuple(s.strip() for s in (args.audio_language or '').split(',') if s.strip())


def add_reel_options(parser: argparse.ArgumentParser):
    """How a reel is cut and written (:class:`~highlight_plugin.render.RenderOptions`, ``--snap``)."""
    group = parser.add_argument_group('the reel')
    group.add_argument('--budget', type=float, help='at most this many seconds in all clips')
    group.add_argument('--snap', type=float, default=2.0, metavar='SECONDS',
                       help='move each clip edge to the nearest shot change, else to a pause in the audio, within '
                            'this many seconds (0: off; football clips only grow, never losing their event)')
    group.add_argument('--vertical', choices=['crop', 'blur', 'follow'],
                       help='9:16 clips: centre crop, blurred fill, or a window following the action (per shot)')
    group.add_argument('--vertical-size', default='source', metavar='WxH',
                       help='size of 9:16 clips: "source" (the source\'s height, never upscaled; default) or e.g. '
                            '1080x1920')
    group.add_argument('--loudness', default='-14', metavar='LUFS',
                       help='EBU R128 integrated loudness of every clip and the reel (default -14), or "off"')
    group.add_argument('--true-peak', type=float, default=-1.0, metavar='DBTP', help='true-peak ceiling (default -1)')
    group.add_argument('--preset', default='superfast', help='x264 preset of the clips (default superfast)')
    group.add_argument('--no-cut', action='store_true', help='write the JSON, plot and exports only')


def render_options(args):
    """The :class:`~highlight_plugin.render.RenderOptions` of the reel options (ConfigError for bad values)."""
    from ..render import LoudnessTarget, RenderOptions
    from ..render.cut import vertical_size
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
    return RenderOptions(cut=not args.no_cut, vertical=args.vertical, vertical_size=size, loudness=loudness,
                         preset=args.preset)
