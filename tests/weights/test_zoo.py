"""The zoo's entries: schema, hashes against file names and installed packages, references, site files, README."""
import json
import re
from pathlib import Path

import pytest
from mmengine.config import Config

from highlight_plugin.engine.errors import CheckpointError, ConfigError
from highlight_plugin.features.builder import WEIGHT_HINTS
from highlight_plugin.features.recipes import RECIPES
from highlight_plugin.weights import WEIGHT_CONVERTERS
from highlight_plugin.weights.zoo import (BUILTIN, HASH_LENGTHS, get_model, get_weight, hash_in_filename, load_zoo,
                                          model_names, recipe_weights, register_zoo, zoo_table)

REPO = Path(__file__).resolve().parents[2]
# every QVHighlights, YouTube Highlights and TVSum checkpoint of TencentARC/UMT's README model zoo (commit bde05e3)
UMT_ZOO = {
    'umt_base_200e_qvhighlights-9a13c673.pth', 'umt_base_finetune_200e_qvhighlights-d674a657.pth',
    'umt_base_pretrain_100e_asr-ebae4090.pth', 'umt_small_100e_youtube_dog-90f2189e.pth',
    'umt_small_100e_youtube_gym-fe749774.pth', 'umt_small_100e_youtube_par-4d8a9e8b.pth',
    'umt_small_100e_youtube_ska-f12710a8.pth', 'umt_small_100e_youtube_ski-1ca38d91.pth',
    'umt_small_100e_youtube_sur-9be4b575.pth', 'umt_small_500e_tvsum_vt-3eff6e1b.pth',
    'umt_small_500e_tvsum_vu-ea40b5ee.pth', 'umt_small_500e_tvsum_ga-7217ee96.pth',
    'umt_small_500e_tvsum_ms-a41636ac.pth', 'umt_small_500e_tvsum_pk-4ea24b6c.pth',
    'umt_small_500e_tvsum_pr-815f527a.pth', 'umt_small_500e_tvsum_fm-cf6ebb1d.pth',
    'umt_small_500e_tvsum_bk-12c75dff.pth', 'umt_small_500e_tvsum_bt-3b666738.pth',
    'umt_small_500e_tvsum_ds-55549243.pth'}
YOUTUBE = {'dog': 'dog', 'gymnastics': 'gym', 'parkour': 'par', 'skating': 'ska', 'skiing': 'ski', 'surfing': 'sur'}
TVSUM = ('vt', 'vu', 'ga', 'ms', 'pk', 'pr', 'fm', 'bk', 'bt', 'ds')


@pytest.fixture(autouse=True)
def _builtin_only(monkeypatch):
    monkeypatch.delenv('HIGHLIGHT_PLUGIN_ZOO', raising=False)


def test_builtin_entries_load_with_unique_names():
    raw = json.loads(BUILTIN.read_text())
    for kind in ('weights', 'models'):
        names = [e['name'] for e in raw[kind]]
        assert len(names) == len(set(names)), kind
    zoo = load_zoo()
    assert len(zoo.weights) == len(raw['weights']) and len(zoo.models) == len(raw['models'])
    for entry in zoo.weights.values():
        assert entry.licence and entry.description and entry.format
        assert entry.size is None or entry.size > 0


def test_every_umt_checkpoint_of_the_model_zoo_is_named():
    files = {get_weight(n).filename: get_weight(n) for n in load_zoo().weights}
    assert UMT_ZOO <= set(files)
    for name in UMT_ZOO:
        assert files[name].urls == ('https://huggingface.co/yeliudev/UMT/resolve/main/checkpoints/' + name,)
        assert files[name].conversion.converter == 'umt-original'
    expected = {'umt-qvhighlights', 'umt-qvhighlights-pt'} | {f'umt-youtube-{d}' for d in YOUTUBE} | \
        {f'umt-tvsum-{c}' for c in TVSUM}
    assert set(model_names()) == expected


def test_hash_prefix_in_a_file_name_agrees_with_the_entry():
    checked = 0
    for entry in load_zoo().weights.values():
        prefix = hash_in_filename(entry.filename)
        if prefix is not None:
            assert entry.hash is not None and entry.hash.algorithm == 'sha256', entry.name
            assert entry.hash.value == prefix or entry.hash.value.startswith(prefix), entry.name
            checked += 1
        if entry.hash is not None:
            assert len(entry.hash.value) == HASH_LENGTHS[entry.hash.algorithm] or entry.hash.is_prefix
            assert entry.hash.source, entry.name
        for url in entry.urls:  # OpenAI's URLs carry the full sha256 as their folder
            if 'openaipublic' in url:
                assert url.split('/')[-2] == entry.hash.value
    assert checked == len(UMT_ZOO) + 2  # the UMT checkpoints, mmaction2's SlowFast, torchvggish


def test_hashes_shipped_inside_installed_packages():
    import open_clip
    cfg = open_clip.get_pretrained_cfg('ViT-B-32', 'openai')
    clip = get_weight('clip-vit-b-32-openai')
    assert cfg['url'] == clip.urls[0] and cfg['url'].split('/')[-2] == clip.hash.value
    assert f"https://huggingface.co/{cfg['hf_hub']}" in get_weight('clip-vit-b-32-openai-safetensors').urls[0] \
        .replace('/resolve/a6f597a30f7b82c51704746581f9a4e41421e878/open_clip_model.safetensors', '/')
    import mmaction
    metafile = Path(mmaction.__file__).parent / '.mim' / 'configs' / 'recognition' / 'slowfast' / 'metafile.yml'
    if metafile.is_file():
        assert get_weight('mmaction2-slowfast-r50-4x16x1-k400').urls[0] in metafile.read_text()
    import importlib.util  # located, never imported: panns_inference's __init__ downloads a CSV
    spec = importlib.util.find_spec('panns_inference')
    source = (Path(spec.submodule_search_locations[0]) / 'inference.py').read_text()
    assert get_weight('panns-cnn14').urls[0] in source


def test_keras_hash_when_keras_is_installed():
    resnet = pytest.importorskip('keras.applications.resnet', reason='keras is not installed')
    entry = get_weight('keras-resnet152-imagenet')
    assert entry.hash.algorithm == 'md5' and entry.hash.value == resnet.WEIGHTS_HASHES['resnet152'][0]


def test_converters_roles_and_recipes():
    import highlight_plugin.features  # noqa: F401  (registers the converters)
    zoo = load_zoo()
    for entry in zoo.weights.values():
        if entry.conversion is not None:
            assert WEIGHT_CONVERTERS.get(entry.conversion.converter) is not None, entry.name
    for name, recipe in RECIPES.items():
        weights = recipe_weights(name)
        assert set(recipe.features) <= set(weights), name
        for role, entry in weights.items():
            assert get_weight(entry).role == role
            variant = recipe.features[role].options.get('variant') if role in recipe.features else None
            assert variant == get_weight(entry).network.get('variant'), (name, role)
    assert recipe_weights('soccernet_tf2_vandd')['pca'] == 'soccernet-pca-512-tf2'


def test_model_configs_and_recipes_agree():
    for name in model_names():
        model = get_model(name)
        assert Path(model.config).is_file() and Path(model.config).is_relative_to(REPO / 'configs')
        cfg = Config.fromfile(model.config)
        assert cfg.get('inference_cfg', {}).get('recipe') == model.recipe, name
        assert model.reels == (model.recipe is not None)
        assert get_weight(model.checkpoint).role == 'checkpoint'
    assert get_model('umt-youtube-surfing').config.endswith('configs/youtube/umt_small_100e_youtube_sur.py')
    assert Config.fromfile(get_model('umt-qvhighlights-pt').config).load_from == 'umt-base-pretrain-100e-asr'
    with pytest.raises(ConfigError, match='^umt-tvsum-bk: no reel from a raw video: the model reads two-stream'):
        get_model('umt-tvsum-bk').require_reels()
    get_model('umt-qvhighlights').require_reels()


def test_weight_hints_name_zoo_entries_of_their_role():
    for role, hint in WEIGHT_HINTS.items():
        names = re.findall(r'(?<![\w.-])([a-z0-9]+(?:-[a-z0-9]+)+)(?![\w.-])', hint)
        assert names, role
        for name in names:
            assert get_weight(name).role == role, (role, name)


def test_unknown_names_list_close_ones():
    with pytest.raises(CheckpointError, match="no model named 'umt-youtube-surf' in the zoo "
                                              r"\(close: umt-youtube-surfing"):
        get_model('umt-youtube-surf')


@pytest.mark.parametrize('weights, message', [
    ([{'name': 'x'}], "weight entry 'x': \"urls\" must be a non-empty list"),
    ([dict(name='x', description='d', urls=['ftp://a/b'], format='f', licence='l')], 'http(s) URLs'),
    ([dict(name='x', description='d', urls=['https://a/b.pth'], format='f', licence='l', role='clip',
           hash=dict(algorithm='sha256', value='abc'))], "sha256 value 'abc' must be 64 hex digits"),
    ([dict(name='x', description='d', urls=['https://a/b.pth'], format='f', licence='l', role='clip',
           hash=dict(algorithm='crc32', value='abcd1234'))], "hash algorithm 'crc32' is not one of"),
    ([dict(name='x', description='d', urls=['https://a/b.pth'], format='f', licence='l', role='audio')],
     "role 'audio' is not one of"),
    ([dict(name='x', description='d', urls=['https://a/b.pth'], format='f', licence='l', role='clip', sha='1')],
     'unknown field(s) sha'),
    ([dict(name='x', description='d', urls=['https://a/b.pth'], format='f', licence='l', role='pca',
           conversion=dict(converter='soccernet-pca', inputs=['x', 'y'], suffix='.npz'))],
     "weight entry 'x' conversion: no weight entry named 'y'"),
])
def test_bad_site_entries_are_one_line_naming_file_and_entry(tmp_path, monkeypatch, weights, message):
    path = tmp_path / 'site.json'
    path.write_text(json.dumps(dict(weights=weights)))
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_ZOO', str(path))
    with pytest.raises(ConfigError) as e:
        load_zoo()
    assert str(e.value).startswith(f'{path}: ') and message in str(e.value) and '\n' not in str(e.value)


def test_site_toml_file_adds_and_replaces_entries(tmp_path):
    (tmp_path / 'mine.py').write_text("_base_ = ['{}']\n".format(REPO / 'configs' / 'umt_base_200e_qvhighlights.py'))
    path = tmp_path / 'site.toml'
    path.write_text('''
[[weights]]
name = "our-umt"
description = "our UMT-B, trained on our films"
urls = ["https://models.internal/umt/our_umt-0123abcd.pth"]
hash = {algorithm = "sha256", value = "0123abcd", source = "file name"}
format = "mmengine-pth"
licence = "internal"
role = "checkpoint"

[[weights]]
name = "panns-cnn14"
description = "PANNs Cnn14, our copy"
urls = ["https://models.internal/panns/Cnn14_mAP=0.431.pth"]
format = "torch-pth"
licence = "CC BY-4.0"
role = "panns"

[[models]]
name = "our-films"
description = "UMT-B on our films"
config = "mine.py"
checkpoint = "our-umt"
recipe = "hero_qvhighlights"
''')
    from highlight_plugin.weights import zoo
    saved = list(zoo._registered)
    try:
        register_zoo(path)
        model = get_model('our-films')
        assert model.config == str(tmp_path / 'mine.py') and model.licence == 'internal'
        assert model.weights['panns'] == 'panns-cnn14' and model.weights['clip'] == 'clip-vit-b-32-openai'
        assert get_weight('panns-cnn14').urls == ('https://models.internal/panns/Cnn14_mAP=0.431.pth',)
        assert get_weight('panns-cnn14').hash is None
    finally:
        zoo._registered[:] = saved
    assert get_weight('panns-cnn14').hash.algorithm == 'md5'


def test_readme_holds_the_zoo_table():
    readme = (REPO / 'README.md').read_text()
    start, end = '<!-- zoo:start -->\n', '<!-- zoo:end -->'
    assert readme.count(start) == 1 and readme.count(end) == 1
    assert readme.split(start)[1].split(end)[0] == zoo_table()
    table = zoo_table()
    assert '| `umt-qvhighlights` |' in table and '| `panns-cnn14` |' in table and '327 MB' in table
