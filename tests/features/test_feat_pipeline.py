import numpy as np
import pytest
import torch

from highlight_plugin.engine.errors import DataError
from highlight_plugin.features import CLIPExtractor, PANNsExtractor, extract


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
    from highlight_plugin.features import read_audio, read_frames
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
