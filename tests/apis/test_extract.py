import subprocess

import numpy as np
import pytest
import torch

from highlight_plugin.apis.extract import extract
from highlight_plugin.engine.errors import DataError
from highlight_plugin.features import CLIPExtractor, PANNsExtractor
from highlight_plugin.media.probe import ffmpeg_exe

pytestmark = pytest.mark.usefixtures('one_torch_thread')


@pytest.fixture(scope='module')
def extractors(tiny_clip_model, panns_model):
    return dict(clip=CLIPExtractor(2.0, batch_size=4, model=tiny_clip_model),
                panns=PANNsExtractor(2.0, batch_size=4, model=panns_model))


def test_shapes_and_rows(media_dir, make_media, tmp_path, extractors):
    # 5 s: CLIP clips centred at 1 and 3 s; PANNs windows [0,2) [2,4), the last 1 s is half a window
    res = extract(str(media_dir / 'good.mp4'), extractors)
    assert res.features['clip'].shape == (2, 32) and res.features['clip'].dtype == np.float32
    assert res.features['panns'].shape[1] == 2048
    path = make_media(tmp_path / 'pcm.mkv', seconds=5.5)  # pcm audio: exact length
    res = extract(str(path), extractors)
    assert res.rows == dict(clip=3, panns=3)  # 1.5 s left > half a clip: kept, zero-padded
    res = extract(str(path), extractors, drop_partial=['panns'])
    assert res.rows == dict(clip=3, panns=2)


def test_batched_equals_per_clip(media_dir, tiny_clip_model, panns_model):
    """The batched streaming pipeline gives the straightforward per-clip features."""
    from highlight_plugin.media.audio import read_audio
    from highlight_plugin.media.frames import read_frames
    path = str(media_dir / 'good.mp4')
    res = extract(path, dict(clip=CLIPExtractor(1.0, batch_size=3, model=tiny_clip_model),
                             panns=PANNsExtractor(1.0, batch_size=3, model=panns_model)),
                  chunk_seconds=2.0)
    frames = np.concatenate(list(read_frames(path, 1.0, 32)))
    audio = np.concatenate(list(read_audio(path, 32000)))
    with torch.inference_mode():
        mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(3, 1, 1)
        std = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(3, 1, 1)
        ref_v = [tiny_clip_model.encode_image(((torch.from_numpy(f.copy()).permute(2, 0, 1) / 255.
                                                 - mean) / std)[None])[0].numpy() for f in frames]
        ref_a = [panns_model(torch.from_numpy(audio[i * 32000:(i + 1) * 32000].copy())[None])['embedding'][0]
                 .numpy() for i in range(len(audio) // 32000)]
    np.testing.assert_allclose(res.features['clip'], np.stack(ref_v), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(res.features['panns'][:len(ref_a)], np.stack(ref_a), rtol=1e-4, atol=1e-5)


def test_errors(media_dir, make_media, tmp_path, extractors):
    with pytest.raises(DataError, match='no audio stream'):
        extract(str(media_dir / 'noaudio.mp4'), extractors)
    assert extract(str(media_dir / 'noaudio.mp4'), dict(clip=extractors['clip'])).rows == dict(clip=1)
    short = make_media(tmp_path / 'short.mp4', seconds=0.6)
    with pytest.raises(DataError, match='too short'):
        extract(str(short), extractors)
    with pytest.raises(DataError, match='corrupt.mp4'):
        extract(str(media_dir / 'corrupt.mp4'), extractors)


def test_audio_only_file(make_media, tmp_path, extractors):
    wav = make_media(tmp_path / 'a.wav', seconds=4, video=False)
    assert extract(str(wav), dict(panns=extractors['panns'])).rows == dict(panns=2)
    with pytest.raises(DataError, match='no video stream'):
        extract(str(wav), extractors)


def test_truncated_files(media_dir, tmp_path, extractors):
    # a truncated Matroska still decodes up to the cut: features for the part that exists
    data = (media_dir / 'ramp.mkv').read_bytes()
    cut = tmp_path / 'cut.mkv'
    cut.write_bytes(data[:len(data) // 2])
    res = extract(str(cut), dict(clip=extractors['clip']))
    assert 1 <= res.rows['clip'] <= 2
    # an MP4 cut before its index cannot be read: a clear error naming the file
    data = (media_dir / 'good.mp4').read_bytes()
    cut = tmp_path / 'cut.mp4'
    cut.write_bytes(data[:len(data) // 3])
    with pytest.raises(DataError, match='cut.mp4'):
        extract(str(cut), extractors)


def test_vit_b32_feature_sizes():
    """The real ViT-B/32 architecture (random weights): 512-d image and text features."""
    from highlight_plugin.features import CLIPTextEncoder, build_clip
    model = build_clip('ViT-B-32', 'none')
    ex = CLIPExtractor(2.0, model=model)
    assert ex.spec.size == 224 and ex.dim == 512
    assert ex.forward_rows(np.zeros((1, 1, 224, 224, 3), np.uint8)).shape == (1, 512)
    (text,) = CLIPTextEncoder('ViT-B-32', model=model)(['a man opens a box'])
    assert text['last_hidden_state'].shape == (7, 512) and text['pooler_output'].shape == (512,)


def test_silent_audio_equals_a_silent_track(make_media, tmp_path, extractors):
    """A video without audio, read as silence, gives the rows of the same video with a silent track: each audio
    reading ('ffmpeg', librosa's, V&D's) gives the zeros it gives on such a track, as many samples."""
    from highlight_plugin.features.vggish import SAMPLE_RATE as VGGISH_RATE
    from highlight_plugin.media.audio import audio_reader, read_silence, silence_samples
    from highlight_plugin.media.probe import probe
    from highlight_plugin.media.specs import AudioSpec
    mute = make_media(tmp_path / 'mute.mp4', seconds=6.3, audio=None)
    silent = tmp_path / 'silent.mkv'  # the same frames with a silent stereo track
    subprocess.run([ffmpeg_exe(), '-v', 'error', '-i', str(mute), '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo',
                    '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'pcm_s16le', '-shortest', str(silent)],
                   check=True)
    for spec in (AudioSpec(32000, 'ffmpeg'), AudioSpec(32000, 'librosa'), AudioSpec(VGGISH_RATE, 'vandd')):
        info = probe(str(silent))
        real = np.concatenate(list(audio_reader(spec.method)(str(silent), spec, info.audio[0], 32.0)))
        made = np.concatenate(list(read_silence(probe(str(mute)).duration, spec)))
        assert not real.any() and not made.any()
        assert abs(len(made) - len(real)) <= 0.01 * spec.sample_rate, spec  # 10 ms
        assert len(made) == silence_samples(spec.method, probe(str(mute)).duration, spec)
    with pytest.raises(DataError, match='no audio stream'):
        extract(str(mute), extractors)
    res = extract(str(mute), extractors, silent_audio=True)
    ref = extract(str(silent), extractors)
    assert res.silent and not ref.silent and res.rows == ref.rows
    np.testing.assert_allclose(res.features['panns'], ref.features['panns'], rtol=1e-5, atol=1e-6)


def test_analyzers_ride_on_the_feature_decode(make_media, tmp_path, extractors, monkeypatch):
    """Shot changes, the follow profile and the pauses come from the extraction's own passes: one video decode
    (the tiny branch split off it), the audio chunks PANNs reads; alone (features on disk) the same results."""
    from highlight_plugin.analysis.reel import ReelAnalysis
    from highlight_plugin.apis.extract import analyse_alone
    from highlight_plugin.media import branches
    from tests.helpers.synthetic import Shot, edited_video
    video = edited_video(tmp_path / 'cuts.mp4', [Shot('testsrc2', 3), Shot('smptebars', 3)], size='160x90',
                         fps=25, pauses=[(4.0, 4.6)]).path
    decodes = []
    real_init, real_read = branches.FrameBranches.__init__, extractors['panns'].spec
    monkeypatch.setattr(branches.FrameBranches, '__init__',
                        lambda self, path, chains, *a, **k: decodes.append(len(chains)) or real_init(
                            self, path, chains, *a, **k))
    analysis = ReelAnalysis(shots=True, pauses=True, follow=True)
    analyzers = analysis.analyzers()
    res = extract(video, extractors, analyzers=analyzers)
    assert decodes == [2]  # CLIP's frames and the tiny branch: one decode
    assert analyzers['pauses'].spec == real_read  # the pauses join PANNs' audio reading
    with_features = analysis.add(video, res)
    assert [(t.time, t.kind) for t in with_features.transitions] == [(3.0, 'cut')]
    assert with_features.profile.motion.shape[1] == 64 and with_features.has_audio
    quiet = with_features.envelope.quietest(4.3, 1.0)
    assert 4.0 <= quiet <= 4.6
    alone = analyse_alone(video, ReelAnalysis(shots=True, pauses=True, follow=True))
    assert [(t.time, t.kind) for t in alone.transitions] == [(3.0, 'cut')]
    np.testing.assert_array_equal(alone.profile.motion, with_features.profile.motion)
    assert 4.0 <= alone.envelope.quietest(4.3, 1.0) <= 4.6


def test_late_start_matroska_duration(make_media, tmp_path):
    """An MKV whose timestamps start at 10 s lasts its frames' span, not the end of its timeline."""
    from highlight_plugin.media.clock import stream_starts
    from highlight_plugin.media.probe import probe
    late = make_media(tmp_path / 'late.mkv', seconds=6, audio='sine', extra=['-output_ts_offset', '10'])
    assert probe(str(late)).duration == pytest.approx(6.0, abs=0.05)
    starts = stream_starts(str(late), 0)
    assert starts.origin == pytest.approx(10.0, abs=0.05) and abs(starts.audio) < 0.05
