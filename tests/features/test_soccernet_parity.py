"""Parity with SoccerNet's ``*_ResNET_TF2_PCA512.npy`` and V&D's VGGish rows, against outputs of the reference code
(tests/data/soccernet_features, made by tests/fixtures/soccernet_features/make_fixture.py: SoccerNet's FrameCV,
tf-keras ResNet152, V&D's extractFeatures, resampy, cv2, scikit-learn). The same random weights are rebuilt here
and written in the Keras HDF5 layout, so the project's readers and converters run on real ``.h5`` files."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from highlight_plugin.apis.extract import extract
from highlight_plugin.apis.extract_catalogue import fit_pca_on_videos
from highlight_plugin.engine.errors import CheckpointError, ConfigError, DataError
from highlight_plugin.features import (PCA, KerasResNetV1, SoccerNetResNetExtractor, VGGishExtractor, build_extractors,
                                       build_keras_resnet, build_vggish, get_layout)
from highlight_plugin.media.probe import ffmpeg_exe
from highlight_plugin.media.resample import resample_chunks
from highlight_plugin.media.soccernet import read_audio_vandd, read_frames_soccernet, resize_area
from highlight_plugin.media.specs import AudioSpec, FrameSpec
from highlight_plugin.weights import convert

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TESTS)
DATA = os.path.join(TESTS, 'data', 'soccernet_features')
RTOL = 1e-4  # relative to the largest value of the compared rows


def _helpers():
    path = os.path.join(TESTS, 'fixtures', 'soccernet_features', 'random_weights.py')
    spec = importlib.util.spec_from_file_location('soccernet_random_weights', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rw = _helpers()
META = json.load(open(os.path.join(DATA, 'reference.json')))
SEEDS = META['seeds']


def assert_rows_close(ours, ref, rtol=RTOL):
    assert ours.shape == ref.shape
    err = np.abs(np.asarray(ours, np.float64) - ref).max() / np.abs(ref).max()
    assert err < rtol, f'max difference {err:.2e} of the largest value'


@pytest.fixture(scope='module')
def ref():
    with np.load(os.path.join(DATA, 'reference.npz')) as z:
        return dict(z)


@pytest.fixture(scope='module')
def keras_files(tmp_path_factory):
    """The reference's random weights as Keras HDF5 files (ResNet-152 with its classifier, as published)."""
    d = tmp_path_factory.mktemp('keras')
    resnet = rw.random_weights(rw.resnet152_layers(), SEEDS['resnet'])
    resnet['predictions'] = dict(kernel=np.zeros((2048, 1000), np.float32), bias=np.zeros(1000, np.float32))
    return dict(resnet=rw.write_keras_h5(d / 'resnet152.h5', resnet),
                vggish=rw.write_keras_h5(d / 'vggish.h5', rw.random_weights(rw.vggish_layers(), SEEDS['vggish']),
                                         text_type='str'))


@pytest.fixture(scope='module')
def resnet(keras_files, feature_device):
    return SoccerNetResNetExtractor(checkpoint=str(keras_files['resnet']), device=feature_device)


@pytest.fixture(scope='module')
def vggish(keras_files, feature_device):
    return VGGishExtractor(0.5, checkpoint=str(keras_files['vggish']), audio_method='vandd', reference_quirks=True,
                           device=feature_device)


def test_weight_generator_matches_tf_keras_files(keras_files):
    """The tests' .h5 files hold the layers, weight names and shapes tf-keras wrote for the reference run."""
    for name, layers in (('resnet152_h5', rw.resnet152_layers()), ('vggish_h5', rw.vggish_layers())):
        theirs = {k: [[n, s] for n, s in v] for k, v in META[name].items() if k != 'predictions'}
        ours = {k: [[f'{k}/{w}:0', list(s)] for w, s in v.items()] for k, v in layers.items()}
        assert ours == theirs
    assert rw.h5_skeleton(keras_files['vggish']) == META['vggish_h5']


def test_resnet_on_identical_frames(ref, resnet, keras_files, tmp_path):
    """Keras ResNet-152 v1 + Caffe preprocessing with the channel quirk, on the same frames: to 1e-4."""
    bgr = rw.synthetic_frames(SEEDS['frames'])
    rows = bgr[:, None, :, :, ::-1]  # our frames are RGB
    assert_rows_close(resnet.raw_features(rows), ref['frames_raw'])
    # converted once: same network; BatchNorm unfolded: same outputs
    out = convert('keras-resnet152', [keras_files['resnet']], str(tmp_path / 'r152.safetensors'))
    unfolded = SoccerNetResNetExtractor(model=build_keras_resnet(out, fold=False), device=resnet.device)
    assert_rows_close(unfolded.raw_features(rows), ref['frames_raw'])
    # the opt-in fix only swaps the channels: on swapped frames it gives the quirk's rows
    fixed = SoccerNetResNetExtractor(model=resnet.model, fix_channel_order=True, device=resnet.device)
    assert fixed.feature_tag != resnet.feature_tag
    assert_rows_close(fixed.raw_features(bgr[:, None]), ref['frames_raw'])
    assert np.abs(fixed.raw_features(rows) - ref['frames_raw']).max() > 1e-3 * np.abs(ref['frames_raw']).max()


@pytest.mark.parametrize('video', ['lq', 'hq'])
def test_soccernet_frames_equal_framecv(ref, video):
    """FrameCV's frame choice, INTER_AREA resize (hq: 640x360) and crop; ffmpeg and OpenCV decode these H.264
    files to the same pixels."""
    spec = FrameSpec(2.0, 224, True, 'soccernet')
    frames = np.concatenate(list(read_frames_soccernet(os.path.join(DATA, f'{video}.mp4'), spec, 3, 0, None)))
    bgr = frames[..., ::-1]
    assert len(frames) == len(ref[f'{video}_frame_means'])
    np.testing.assert_allclose(bgr.reshape(len(bgr), -1, 3).mean(1), ref[f'{video}_frame_means'], atol=1e-9)
    np.testing.assert_array_equal(bgr[[0, -1]], ref[f'{video}_frames'])


def test_resnet_pca512_rows(ref, resnet):
    """The soccernet layout's ResNet rows of a 360p video (INTER_AREA; the 224p one runs through the tool below),
    then SoccerNet's PCA step (average subtracted before the projection; plain and whitened PCA pickles read as
    data)."""
    raw = extract(os.path.join(DATA, 'hq.mp4'), dict(resnet=resnet)).features['resnet']
    assert_rows_close(raw, ref['hq_raw'])
    for name in ('pca8', 'pca8_whiten'):
        pca = PCA.load(f'{DATA}/{name}.pkl,{DATA}/average.pkl', resnet.feature_tag)
        assert_rows_close(pca(ref['lq_raw']), ref[f'lq_{name}'])
    with_pca = SoccerNetResNetExtractor(model=resnet.model, pca=f'{DATA}/pca8.pkl,{DATA}/average.pkl',
                                        device=resnet.device)
    assert with_pca.dim == 8 and with_pca.forward_rows(np.zeros((1, 1, 224, 224, 3), np.uint8)).dtype == np.float32


def test_pca_files(ref, tmp_path):
    """soccernet-pca conversion (CLI), what PCA.load refuses, and files of the older --fit-pca."""
    out = tmp_path / 'pca8.npz'
    subprocess.run([sys.executable, os.path.join(REPO, 'tools', 'convert_weights.py'), 'soccernet-pca',
                    f'{DATA}/pca8_whiten.pkl', f'{DATA}/average.pkl', '--out', str(out)], check=True,
                   capture_output=True, cwd=REPO)
    pca = PCA.load(str(out), 'keras-resnet152-v1/caffe-rgb-quirk')
    assert pca.scale is not None
    assert_rows_close(pca(ref['lq_raw']), ref['lq_pca8_whiten'])
    with pytest.raises(CheckpointError, match='caffe-bgr'):
        PCA.load(str(out), 'keras-resnet152-v1/caffe-bgr')
    with pytest.raises(CheckpointError, match='centred'):  # SoccerNet's PCA without its average
        PCA.load(f'{DATA}/pca8.pkl')
    with pytest.raises(CheckpointError, match='average.pkl'):  # an array is not a PCA
        PCA.load(f'{DATA}/average.pkl')
    # the older --fit-pca: no record of the features; torchvision ResNet only
    legacy = tmp_path / 'legacy.npz'
    np.savez(legacy, mean=np.zeros(2048), components=np.eye(4, 2048))
    assert PCA.load(str(legacy), 'torchvision-resnet').out_dim == 4
    with pytest.raises(CheckpointError, match='older --fit-pca'):
        PCA.load(str(legacy), 'keras-resnet152-v1/caffe-rgb-quirk')
    # an "average" subtracted after the projection: the old, wrong reading of SoccerNet's average
    np.savez(legacy, mean=np.zeros(2048), components=np.eye(4, 2048), average=np.ones(4))
    with pytest.raises(CheckpointError, match='before it'):
        PCA.load(str(legacy))


def test_published_pickle_names(ref, tmp_path):
    """SoccerNet's pickles were written by numpy 1.x (``numpy.core`` names; the fixture's by numpy 2.x)."""
    for name in ('pca8.pkl', 'average.pkl'):
        raw = open(os.path.join(DATA, name), 'rb').read()
        assert b'numpy._core.multiarray' in raw
        (tmp_path / name).write_bytes(raw.replace(b'numpy._core.multiarray', b'numpy.core.multiarray'))
    pca = PCA.load(f'{tmp_path}/pca8.pkl,{tmp_path}/average.pkl')
    assert_rows_close(pca(ref['lq_raw']), ref['lq_pca8'])


def test_fit_pca_records_features(tmp_path):
    """--fit-pca fits on the soccernet layout's raw rows and records which; a small random ResNet v1 here."""
    torch.manual_seed(0)
    small = KerasResNetV1(blocks=(1, 1, 1, 1)).eval().fold_bn()
    ex = SoccerNetResNetExtractor(model=small)
    out = tmp_path / 'pca.npz'
    pca = fit_pca_on_videos([os.path.join(DATA, 'lq.mp4'), os.path.join(DATA, 'hq.mp4')], str(out),
                            n_components=4, extractor=ex)
    assert pca.features == ex.feature_tag and (pca.in_dim, pca.out_dim) == (2048, 4)
    assert SoccerNetResNetExtractor(model=small, pca=str(out)).dim == 4
    with pytest.raises(CheckpointError, match='caffe-rgb-quirk features'):
        SoccerNetResNetExtractor(model=small, pca=str(out), fix_channel_order=True)


def test_keras_h5_errors(tmp_path, keras_files):
    bad = tmp_path / 'bad.h5'
    bad.write_bytes(b'not hdf5')
    with pytest.raises(CheckpointError, match='not an HDF5 file'):
        build_keras_resnet(str(bad))
    layers = rw.random_weights(rw.vggish_layers(), 0)
    del layers['conv4/conv4_2']
    rw.write_keras_h5(bad, layers)
    with pytest.raises(CheckpointError, match="no layer 'conv4/conv4_2'"):
        build_vggish(str(bad))
    with pytest.raises(CheckpointError, match="no layer 'conv1_conv'"):
        build_keras_resnet(str(bad))


def test_area_resize_equals_opencv(ref):
    img = np.random.RandomState(SEEDS['area']).randint(0, 256, (90, 161, 3)).astype(np.uint8)
    np.testing.assert_array_equal(resize_area(img[None], 66, 37)[0], ref['area_shrink'])
    np.testing.assert_array_equal(resize_area(img[None, :30, :50], 75, 45)[0], ref['area_enlarge'])


def test_vggish_network_and_weight_formats(ref, vggish, keras_files, tmp_path):
    """V&D's Keras VGGish on the same patches (pooling rounds up: 6x8 at conv4_2); the .h5, its conversion and a
    torchvggish-style state dict load the same network."""
    patches = torch.from_numpy(rw.synthetic_patches(SEEDS['patches']))
    assert_rows_close(vggish.embed(patches), ref['patches_out'])
    assert vggish.model.features(patches[:1, None].to(vggish.device)).shape[-2:] == (6, 8)
    # a file whose layers carry other names loads by order, as Keras' load_weights does
    renamed = {f'conv2d_{i}': w for i, w in enumerate(rw.random_weights(rw.vggish_layers(), SEEDS['vggish']).values())}
    rw.write_keras_h5(tmp_path / 'renamed.h5', renamed)
    by_order = VGGishExtractor(0.5, checkpoint=str(tmp_path / 'renamed.h5'), device=vggish.device)
    assert_rows_close(by_order.embed(patches), ref['patches_out'])
    out = convert('keras-vggish', [keras_files['vggish']], str(tmp_path / 'vggish.pth'))
    state = dict(torch.load(out, weights_only=True), **{'embeddings.0.weight': torch.zeros(4, 4)})
    torch.save(state, tmp_path / 'torchvggish.pth')
    loaded = VGGishExtractor(0.5, checkpoint=str(tmp_path / 'torchvggish.pth'), device=vggish.device)
    assert_rows_close(loaded.embed(patches), ref['patches_out'])


def test_vandd_audio_reading(ref, vggish):
    """Native rate, / 32768, channel mean, each 0.5-s chunk resampled on its own as resampy; V&D's log-mel."""
    spec = AudioSpec(16000, 'vandd')
    audio = np.concatenate(list(read_audio_vandd(os.path.join(DATA, 'audio.mka'), spec, None, 4.0)))
    assert len(audio) == 66 * 8000  # 33.2 s: the partial last chunk dropped
    chunk = audio[3 * 8000:4 * 8000]
    np.testing.assert_allclose(chunk, ref['resampy_chunk'], atol=1e-7)
    patch = vggish.log_mel(torch.from_numpy(chunk[None]))[0, :46].cpu().numpy()
    np.testing.assert_allclose(patch, ref['logmel_chunk'], atol=2e-5)
    x = np.random.RandomState(0).standard_normal((2, 24000))
    assert resample_chunks(x, 48000, 16000).shape == (2, 8000)


def test_vandd_rows(ref, vggish):
    """extractFeatures' rows: 60 + 6 chunks (its last batch misplaced), with a start offset and fewer video rows,
    and its failure under 30 s."""
    rows = extract(os.path.join(DATA, 'audio.mka'), dict(vggish=vggish)).features['vggish']
    assert_rows_close(rows, ref['vandd_rows'])
    path = os.path.join(DATA, 'audio.mka')
    audio = np.concatenate(list(read_audio_vandd(path, AudioSpec(16000, 'vandd'), None, 32.0, start=1)))
    raw = vggish.forward_rows(audio.reshape(-1, 8000))
    assert_rows_close(vggish.finish_rows(raw, video_rows=62), ref['vandd_rows_start1_video62'])
    with pytest.raises(DataError, match='under 30 s'):
        vggish.finish_rows(raw[:40])
    assert 'could not broadcast' in META['vandd_short']  # the reference fails there too
    fixed = VGGishExtractor(0.5, model=vggish.model, audio_method='vandd', device=vggish.device)
    np.testing.assert_array_equal(fixed.finish_rows(raw[:40]), raw[:40])
    np.testing.assert_array_equal(fixed.finish_rows(raw, video_rows=62), raw[:62])


def test_vandd_row_handling_rules(vggish):
    """The 45-minute cut for 5,400-row videos (then no misplaced batch), truncation to the video rows."""
    rows = np.random.RandomState(0).standard_normal((5470, 512)).astype(np.float32)
    np.testing.assert_array_equal(vggish.finish_rows(rows, 5400), rows[:5400])
    # 5470 = 91 * 60 + 10: the last batch lands at rows 5410..5469 (real rows 5460.., then all-zero patches)
    out = vggish.finish_rows(rows)
    zero = vggish.embed(torch.zeros(1, 46, 64))
    np.testing.assert_array_equal(out[:5410], rows[:5410])
    np.testing.assert_array_equal(out[5410:5420], rows[5460:])
    np.testing.assert_array_equal(out[5420:], np.repeat(zero, 50, 0))
    np.testing.assert_array_equal(vggish.finish_rows(rows, 5399), rows[:5399])
    with pytest.raises(ConfigError, match='0.5-s rows'):
        VGGishExtractor(2.0, audio_method='vandd')


def test_extract_features_cli_soccernet_layout(ref, keras_files, tmp_path, feature_device):
    """tools/extract_features.py --layout soccernet on a half muxed from the fixture's video and audio (streams
    copied): both files equal the reference's rows (audio cut to the 8 video rows after V&D's batch handling)."""
    game = tmp_path / 'in' / 'league' / '2015-2016' / 'game'
    game.mkdir(parents=True)
    subprocess.run([ffmpeg_exe(), '-v', 'error', '-i', os.path.join(DATA, 'lq.mp4'), '-i',
                    os.path.join(DATA, 'audio.mka'), '-map', '0:v', '-map', '1:a', '-c', 'copy',
                    str(game / '1_224p.mkv')], check=True)
    shutil.copy(os.path.join(DATA, 'average.pkl'), tmp_path / 'average_512_TF2.pkl')
    cmd = [sys.executable, os.path.join(REPO, 'tools', 'extract_features.py'), str(tmp_path / 'in'),
           '--out-dir', str(tmp_path / 'out'), '--layout', 'soccernet', '--no-progress',
           '--resnet-checkpoint', str(keras_files['resnet']), '--vggish-checkpoint', str(keras_files['vggish']),
           '--pca', f'{DATA}/pca8.pkl,{tmp_path}/average_512_TF2.pkl', '--device', feature_device]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / 'out' / 'league' / '2015-2016' / 'game'
    video, audio = np.load(out / '1_ResNET_TF2_PCA512.npy'), np.load(out / '1_VGGish.npy')
    assert video.dtype == np.float32 and audio.dtype == np.float64
    assert_rows_close(video, ref['lq_pca8'])
    assert_rows_close(audio, ref['vandd_rows'][:8])


def test_builder_uses_layout_recipes(keras_files):
    ex = build_extractors(get_layout('soccernet'), ['resnet', 'vggish'], random_init=True,
                          options=dict(resnet=dict(pca=f'{DATA}/pca8.pkl,{DATA}/average.pkl')))
    assert isinstance(ex['resnet'], SoccerNetResNetExtractor) and ex['resnet'].dim == 8
    assert ex['resnet'].spec.sampling == 'soccernet' and ex['vggish'].spec.method == 'vandd'
    assert ex['vggish'].reference_quirks
    with pytest.raises(ConfigError, match='pca_512_TF2'):
        build_extractors(get_layout('soccernet'), ['resnet'], random_init=True)


def test_soccernet_sampling_other_inputs(tmp_path, make_media):
    """A 30-fps 64x48 video: converted to 25 fps (as SoccerNet's LQ videos), FrameCV's frames 12, 24, 37, ... of
    that, enlarged to height 224 (INTER_AREA) and cropped; a portrait video is refused."""
    video = make_media(tmp_path / 'v.mp4', seconds=3, fps=30)
    frames = np.concatenate(list(read_frames_soccernet(str(video), FrameSpec(2.0, 224, True, 'soccernet'), 4, 0,
                                                       None)))
    raw = subprocess.run([ffmpeg_exe(), '-v', 'error', '-i', str(video), '-vf', 'fps=25', '-f', 'rawvideo',
                          '-pix_fmt', 'rgb24', 'pipe:'], capture_output=True, check=True).stdout
    all25 = np.frombuffer(raw, np.uint8).reshape(-1, 48, 64, 3)
    assert len(all25) == 75
    picked = resize_area(all25[[12, 24, 37, 49, 62, 74]], 298, 224)[:, :, 37:37 + 224]  # int(64 * 224 / 48) = 298
    np.testing.assert_array_equal(frames, picked)
    portrait = make_media(tmp_path / 'portrait.mp4', seconds=1, size='48x64')
    with pytest.raises(DataError, match='landscape'):
        extract(str(portrait), dict(resnet=SoccerNetResNetExtractor(model=KerasResNetV1((1, 1, 1, 1)))))


def test_vandd_reader_mono_and_start(tmp_path, make_media):
    audio = make_media(tmp_path / 'mono.mkv', seconds=5, video=False)  # 32 kHz mono PCM
    spec = AudioSpec(16000, 'vandd')
    full = np.concatenate(list(read_audio_vandd(str(audio), spec, None, 1.0)))
    late = np.concatenate(list(read_audio_vandd(str(audio), spec, None, 1.0, start=1.25)))
    assert len(full) == 10 * 8000 and len(late) == 7 * 8000  # 3.75 s left: 7 whole chunks
    spectrum = np.abs(np.fft.rfft(full[8000:16000]))  # 2-Hz bins of a 0.5-s chunk at 16 kHz
    assert spectrum.argmax() * 2 == 440 and abs(np.abs(full).max() - 0.125) < 0.01  # ffmpeg's sine: 1/8 full scale


def test_fused_convolutions_equal_separate_ops(monkeypatch):
    """BatchNorm folding and oneDNN's fused add/ReLU keep the outputs (a small random ResNet v1)."""
    from highlight_plugin.features import keras_resnet
    torch.manual_seed(0)
    net = KerasResNetV1(blocks=(1, 2, 1, 1)).eval()
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1), m.running_var.uniform_(0.5, 2.0), m.weight.data.uniform_(0.5, 1.5)
    x = torch.randn(2, 3, 64, 96).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        ref = net(x)
        net.fold_bn()
        fused = net(x)
        monkeypatch.setattr(keras_resnet, 'FUSED_CONV', None)
        separate = net(x)
    assert keras_resnet.KerasResNetV1 is KerasResNetV1 and fused.shape == (2, 2048)
    torch.testing.assert_close(fused, separate, rtol=0, atol=1e-6 * ref.abs().max().item())  # fp32 rounding
    torch.testing.assert_close(fused, ref, rtol=1e-5, atol=1e-5 * ref.abs().max().item())


def test_the_fit_pca_tool_builds_a_raw_resnet_and_needs_enough_rows(tmp_path, capsys):
    """tools/extract_features.py --fit-pca: the soccernet ResNet without a PCA over the videos, one line when they
    give fewer rows than the PCA's dimensions."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('extract_features_pca', os.path.join(
        os.path.dirname(TESTS), 'tools', 'extract_features.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    code = tool.main([os.path.join(DATA, 'lq.mp4'), '--out-dir', str(tmp_path), '--layout', 'soccernet', '--fit-pca',
                      '--random-init', '--pca', str(tmp_path / 'pca.npz'), '--device', 'cpu'])
    assert code == 1 and 'PCA to 512 dimensions needs more than 512 feature rows, got 8' in capsys.readouterr().err
    assert not (tmp_path / 'pca.npz').exists()
    with pytest.raises(CheckpointError, match='--fit-pca needs --resnet-checkpoint'):
        from highlight_plugin.features.keras_resnet import raw_soccernet_extractor
        raw_soccernet_extractor()
