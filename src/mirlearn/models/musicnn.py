"""musicnn in torch: Pons & Serra's music tagging network, with the weights that PyPI's
``musicnn`` package (ISC licence) ships as TensorFlow checkpoints, read without TensorFlow.

Input: ``(batch, n_frames, 96)`` patches of ``log10(1 + 10000 * mel)`` (16 kHz, ``n_fft=512``,
``hop_length=256``, 96 Slaney mel bands: :func:`musicnn_input`), 187 frames (3 s) per patch
as trained. The network is musicnn's ``build_musicnn`` layer for layer:

* front-end: batch norm of the input; two "timbral" convolutions (7 frames × 38 and × 67 mel
  bands, 204 maps each) and three "temporal" ones (128, 64, 32 frames × 1 band, 51 maps
  each), each followed by ReLU, batch norm and a max over frequency;
* mid-end: three 7-frame convolutions (64 maps) over the 561 concatenated features, the last
  two residual;
* back-end: max and mean over time of the 753 features (front-end and mid-end
  concatenated), batch norm, a 200-unit dense layer (ReLU, batch norm), 50 tag logits.

TensorFlow's batch-norm epsilon (1e-3) and its "same" padding of even kernels (one more frame
after than before) are kept, so the port computes the original's function.

References
----------
Pons, J., & Serra, X. "musicnn: pre-trained convolutional neural networks for music audio
tagging." ISMIR 2019 late-breaking demo. Pons, J., Nieto, O., Prockup, M., Schmidt, E.,
Ehmann, A., & Serra, X. "End-to-end learning for music audio tagging at scale." ISMIR 2018.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ParameterError
from .serial import _Serializable

__all__ = ["MusiCNN", "MusicnnVGG", "MusicnnClassifier", "MUSICNN_MODELS", "MSD_TAGS", "MTT_TAGS", "musicnn_input", "load_musicnn", "SR", "HOP", "PATCH_FRAMES"]

SR, N_FFT, HOP, N_MELS = 16000, 512, 256, 96
#: frames per patch: 3 s, as musicnn computes it (librosa.time_to_frames(3) + 1)
PATCH_FRAMES = 187

MTT_TAGS = ['guitar', 'classical', 'slow', 'techno', 'strings', 'drums', 'electronic', 'rock', 'fast', 'piano', 'ambient', 'beat', 'violin',
            'vocal', 'synth', 'female', 'indian', 'opera', 'male', 'singing', 'vocals', 'no vocals', 'harpsichord', 'loud', 'quiet', 'flute',
            'woman', 'male vocal', 'no vocal', 'pop', 'soft', 'sitar', 'solo', 'man', 'classic', 'choir', 'voice', 'new age', 'dance',
            'male voice', 'female vocal', 'beats', 'harp', 'cello', 'no voice', 'weird', 'country', 'metal', 'female voice', 'choral']
MSD_TAGS = ['rock', 'pop', 'alternative', 'indie', 'electronic', 'female vocalists', 'dance', '00s', 'alternative rock', 'jazz', 'beautiful',
            'metal', 'chillout', 'male vocalists', 'classic rock', 'soul', 'indie rock', 'Mellow', 'electronica', '80s', 'folk', '90s', 'chill',
            'instrumental', 'punk', 'oldies', 'blues', 'hard rock', 'ambient', 'acoustic', 'experimental', 'female vocalist', 'guitar', 'Hip-Hop',
            '70s', 'party', 'country', 'easy listening', 'sexy', 'catchy', 'funk', 'electro', 'heavy metal', 'Progressive rock', '60s', 'rnb',
            'indie pop', 'sad', 'House', 'happy']

#: name -> (checkpoint folder in the musicnn package, tags)
MUSICNN_MODELS = {
    "musicnn_msd": ("MSD_musicnn", MSD_TAGS),
    "musicnn_mtt": ("MTT_musicnn", MTT_TAGS),
    "vgg_msd": ("MSD_vgg", MSD_TAGS),
    "vgg_mtt": ("MTT_vgg", MTT_TAGS),
}

#: name -> the representations :meth:`features` gives that serve as embeddings, and their sizes
EMBEDDINGS = {
    "musicnn": {"penultimate": 200, "mean_pool": 753, "max_pool": 753},
    "vgg": {"pool5": 256, "pool4_mean": 128, "pool4_max": 128},
}

_EPS = 1e-3  # tf.compat.v1.layers.batch_normalization's default


def _same_time(x, k):
    """TensorFlow's 'same' padding along time (dim 2) for a kernel of ``k`` frames."""
    total = k - 1
    return F.pad(x, (0, 0, total // 2, total - total // 2))


class MusiCNN(_Serializable):
    """musicnn (see the module doc). ``forward`` gives the 50 tag logits of each patch;
    :meth:`embed` gives the intermediate representations musicnn's extractor exposes
    (``penultimate``: 200-d, ``mean_pool`` and ``max_pool``: 753-d)."""

    NAME = "musicnn"

    def __init__(self, n_tags=50, n_mels=N_MELS, midend_maps=64, backend_units=200, tags=None):
        super().__init__()
        self._config = dict(n_tags=n_tags, n_mels=n_mels, midend_maps=midend_maps, backend_units=backend_units, tags=list(tags or []))
        self.tags = list(tags or [])
        timbral, temporal = int(1.6 * 128), int(1.6 * 32)
        self.input_bn = nn.BatchNorm2d(1, eps=_EPS)
        self.timbral = nn.ModuleList(nn.Conv2d(1, timbral, (7, int(f * n_mels))) for f in (0.4, 0.7))
        self.timbral_bn = nn.ModuleList(nn.BatchNorm2d(timbral, eps=_EPS) for _ in range(2))
        self.temporal_k = (128, 64, 32)
        self.temporal = nn.ModuleList(nn.Conv2d(1, temporal, (k, 1)) for k in self.temporal_k)
        self.temporal_bn = nn.ModuleList(nn.BatchNorm2d(temporal, eps=_EPS) for _ in range(3))
        n_front = 2 * timbral + 3 * temporal
        self.midend = nn.ModuleList([nn.Conv1d(n_front, midend_maps, 7)] + [nn.Conv1d(midend_maps, midend_maps, 7) for _ in range(2)])
        self.midend_bn = nn.ModuleList(nn.BatchNorm1d(midend_maps, eps=_EPS) for _ in range(3))
        n_feat = n_front + 3 * midend_maps
        self.pool_bn = nn.BatchNorm1d(2 * n_feat, eps=_EPS)
        self.dense = nn.Linear(2 * n_feat, backend_units)
        self.dense_bn = nn.BatchNorm1d(backend_units, eps=_EPS)
        self.out = nn.Linear(backend_units, n_tags)
        self.dropout = nn.Dropout(0.5)

    def features(self, x):
        """``(batch, n_frames, n_mels)`` → dict of musicnn's representations."""
        h = self.input_bn(x[:, None])  # (b, 1, T, F)
        front = []
        for conv, bn in zip(self.timbral, self.timbral_bn):
            front.append(bn(F.relu(conv(F.pad(h, (0, 0, 3, 3))))).amax(dim=3))  # (b, maps, T)
        for k, conv, bn in zip(self.temporal_k, self.temporal, self.temporal_bn):
            front.append(bn(F.relu(conv(_same_time(h, k)))).amax(dim=3))
        front = torch.cat(front, dim=1)  # (b, 561, T)
        mids = [front]
        m = front
        for i, (conv, bn) in enumerate(zip(self.midend, self.midend_bn)):
            y = bn(F.relu(conv(F.pad(m, (3, 3)))))
            m = y if i == 0 else y + m
            mids.append(m)
        feats = torch.cat(mids, dim=1)  # (b, 753, T)
        max_pool, mean_pool = feats.amax(dim=2), feats.mean(dim=2)
        pooled = torch.stack([max_pool, mean_pool], dim=2).flatten(1)  # TF's flatten of (753, 2): interleaved
        penultimate = self.dense_bn(F.relu(self.dense(self.dropout(self.pool_bn(pooled)))))
        return dict(max_pool=max_pool, mean_pool=mean_pool, penultimate=penultimate, logits=self.out(self.dropout(penultimate)))

    def forward(self, x):
        return self.features(x)["logits"]


class MusicnnVGG(_Serializable):
    """musicnn's VGG baseline (``vgg`` in musicnn's ``models.py``): input batch norm, five
    3×3 "same" convolutions of 128 maps, each with ReLU, batch norm and a max-pool (4×1
    stride 2×2, then 2×2 three times, then 4×4), and a dense layer over the flattened last
    pool (2 × 1 × 128 = 256 values for a 187-frame patch: the input length is fixed)."""

    NAME = "musicnn_vgg"

    def __init__(self, n_tags=50, n_mels=N_MELS, maps=128, tags=None):
        super().__init__()
        self._config = dict(n_tags=n_tags, n_mels=n_mels, maps=maps, tags=list(tags or []))
        self.tags = list(tags or [])
        self.input_bn = nn.BatchNorm2d(1, eps=_EPS)
        self.convs = nn.ModuleList(nn.Conv2d(1 if i == 0 else maps, maps, 3, padding=1) for i in range(5))
        self.bns = nn.ModuleList(nn.BatchNorm2d(maps, eps=_EPS) for _ in range(5))
        self.pools = [((4, 1), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((4, 4), (4, 4))]
        t, f = PATCH_FRAMES, n_mels
        for k, st in self.pools:
            t, f = (t - k[0]) // st[0] + 1, (f - k[1]) // st[1] + 1
        self.out = nn.Linear(t * f * maps, n_tags)
        self.dropout = nn.Dropout(0.5)

    def features(self, x):
        """``(batch, 187, n_mels)`` → dict: ``pool1``..``pool5`` (maps), ``pool5`` flattened as
        TensorFlow does (``pool5``), the mean and max of ``pool4`` over time and frequency,
        and the logits."""
        h = self.input_bn(x[:, None])
        pools = []
        for conv, bn, (k, st) in zip(self.convs, self.bns, self.pools):
            h = F.max_pool2d(bn(F.relu(conv(h))), k, st)
            pools.append(h)
        flat = pools[-1].permute(0, 2, 3, 1).flatten(1)  # TF's NHWC flatten
        return dict(pool5=flat, pool4_mean=pools[3].mean(dim=(2, 3)), pool4_max=pools[3].amax(dim=(2, 3)),
                    maps=pools, logits=self.out(self.dropout(flat)))

    def forward(self, x):
        return self.features(x)["logits"]


def _tf_conv(w):
    """TF conv kernel (kh, kw, in, out) → torch (out, in, kh, kw)."""
    return torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1)))


def _bn(module, w, name):
    module.weight.data = torch.from_numpy(w[f"{name}/gamma"].copy())
    module.bias.data = torch.from_numpy(w[f"{name}/beta"].copy())
    module.running_mean.data = torch.from_numpy(w[f"{name}/moving_mean"].copy())
    module.running_var.data = torch.from_numpy(w[f"{name}/moving_variance"].copy())


def musicnn_checkpoint(name):
    """The checkpoint prefix of ``name`` inside the installed ``musicnn`` package."""
    import importlib.util

    if name not in MUSICNN_MODELS:
        raise ParameterError(f"unknown pretrained model {name!r}; choose one of {', '.join(MUSICNN_MODELS)}")
    spec = importlib.util.find_spec("musicnn")
    if spec is None or not spec.submodule_search_locations:
        raise ParameterError(f"{name} needs the weights of PyPI's musicnn package (ISC licence): "
                             "pip install --no-deps musicnn==0.1.0 (its TensorFlow is not needed)")
    # the prefix is the folder itself: its files are named ".index" and ".data-..."
    return str(Path(list(spec.submodule_search_locations)[0]) / MUSICNN_MODELS[name][0]) + os.sep


def load_musicnn(name="musicnn_msd"):
    """The ported network with musicnn's weights, in eval mode (read with numpy from the
    package's checkpoint: no TensorFlow, no code run). ``name``: a key of
    :data:`MUSICNN_MODELS` (musicnn or its VGG baseline, trained on MSD or MagnaTagATune)."""
    from .tf_checkpoint import read_checkpoint

    w = read_checkpoint(musicnn_checkpoint(name))
    if name.startswith("vgg"):
        return _load_vgg(w, MUSICNN_MODELS[name][1])
    net = MusiCNN(tags=MUSICNN_MODELS[name][1])
    _bn(net.input_bn, w, "batch_normalization")
    for i in range(2):
        net.timbral[i].weight.data = _tf_conv(w[f"conv2d{'' if i == 0 else '_1'}/kernel"])
        net.timbral[i].bias.data = torch.from_numpy(w[f"conv2d{'' if i == 0 else '_1'}/bias"].copy())
        _bn(net.timbral_bn[i], w, f"batch_normalization_{i + 1}")
    for i in range(3):
        net.temporal[i].weight.data = _tf_conv(w[f"conv2d_{i + 2}/kernel"])
        net.temporal[i].bias.data = torch.from_numpy(w[f"conv2d_{i + 2}/bias"].copy())
        _bn(net.temporal_bn[i], w, f"batch_normalization_{i + 3}")
    for i in range(3):
        k = w[f"conv2d_{i + 5}/kernel"]  # (7, n_in, 1, out): a conv over (time, all features)
        net.midend[i].weight.data = torch.from_numpy(np.ascontiguousarray(k[:, :, 0, :].transpose(2, 1, 0)))
        net.midend[i].bias.data = torch.from_numpy(w[f"conv2d_{i + 5}/bias"].copy())
        _bn(net.midend_bn[i], w, f"batch_normalization_{i + 6}")
    _bn(net.pool_bn, w, "batch_normalization_9")
    net.dense.weight.data = torch.from_numpy(np.ascontiguousarray(w["dense/kernel"].T))
    net.dense.bias.data = torch.from_numpy(w["dense/bias"].copy())
    _bn(net.dense_bn, w, "batch_normalization_10")
    net.out.weight.data = torch.from_numpy(np.ascontiguousarray(w["dense_1/kernel"].T))
    net.out.bias.data = torch.from_numpy(w["dense_1/bias"].copy())
    return net.eval()


def _load_vgg(w, tags):
    net = MusicnnVGG(tags=tags)
    _bn(net.input_bn, w, "batch_normalization")
    for i in range(5):
        net.convs[i].weight.data = _tf_conv(w[f"{i + 1}CNN/kernel"])
        net.convs[i].bias.data = torch.from_numpy(w[f"{i + 1}CNN/bias"].copy())
        _bn(net.bns[i], w, f"batch_normalization_{i + 1}")
    net.out.weight.data = torch.from_numpy(np.ascontiguousarray(w["dense/kernel"].T))
    net.out.bias.data = torch.from_numpy(w["dense/bias"].copy())
    return net.eval()


def musicnn_input(y, *, sr, hop_frames=PATCH_FRAMES):
    """musicnn's input for a signal: ``log10(1 + 10000 * mel)`` frames ``(n_frames, 96)`` at
    16 kHz (the mel power spectrogram rounded to float16 first, as musicnn does), cut into
    patches of 187 frames ``(n_patches, 187, 96)`` starting every ``hop_frames`` frames
    (default: non-overlapping, as musicnn's extractor); a signal shorter than one patch is
    repeated to fill it (musicnn's training used repeat-padding)."""
    from ..audio.io import resample
    from ..features.engine import extract

    if sr != SR:
        y = resample(y, orig_sr=sr, target_sr=SR)
    # pad_mode reflect: librosa 0.7's default, with which musicnn computed its training input
    mel = extract(np.asarray(y, np.float32), sr=SR, features=["mel"], n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, pad_mode="reflect")["mel"]
    rep = np.log10(10000 * mel.astype(np.float16).astype(np.float32) + 1).T  # (T, 96)
    if len(rep) < PATCH_FRAMES:
        rep = np.concatenate([rep] * int(np.ceil(PATCH_FRAMES / max(len(rep), 1))))[:PATCH_FRAMES]
    if hop_frames == PATCH_FRAMES:
        n = len(rep) // PATCH_FRAMES
        return rep[: n * PATCH_FRAMES].reshape(n, PATCH_FRAMES, N_MELS).astype(np.float32)
    starts = range(0, len(rep) - PATCH_FRAMES + 1, int(hop_frames))
    return np.stack([rep[s : s + PATCH_FRAMES] for s in starts]).astype(np.float32)


class MusicnnClassifier(_Serializable):
    """musicnn fine-tuned end to end: waveforms at 16 kHz → musicnn's input, computed in
    torch (a frozen mel front-end, :func:`mirlearn.nn.frontend`, then ``log10(1 + 10000 x)``)
    → the pretrained front- and mid-end and the 200-unit dense layer → a new linear layer of
    ``n_classes`` outputs.

    ``pretrained`` names the weights the backbone starts from (read once, at construction);
    a model rebuilt from a bundle gets its weights from the bundle, so its configuration
    holds None. :meth:`backbone_parameters` are the pretrained ones (trained with a lower
    learning rate: the ``backbone_lr`` config key); the head is the rest.
    """

    NAME = "musicnn_finetune"
    INPUT = "waveform"

    def __init__(self, n_classes, pretrained="musicnn_msd", dropout=0.5, sr=SR, channels=None):
        super().__init__()
        from ..nn.frontends import frontend

        if sr != SR:
            raise ParameterError(f"musicnn_finetune reads audio at {SR} Hz (musicnn's input); set sr: {SR}, got {sr}")
        if pretrained is not None and not str(pretrained).startswith("musicnn_"):
            raise ParameterError(f"musicnn_finetune starts from musicnn_msd or musicnn_mtt, got {pretrained!r}")
        self._config = dict(n_classes=n_classes, pretrained=None, dropout=dropout, sr=sr)
        self.mel = frontend("mel", sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, pad_mode="reflect")
        self.backbone = load_musicnn(pretrained) if pretrained is not None else MusiCNN()
        self.backbone.train()
        self.backbone.out = nn.Identity()  # the tag layer is replaced by the head
        self.backbone.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.backbone.dense.out_features, n_classes)
        self.pretrained_from = pretrained

    def backbone_parameters(self):
        return list(self.backbone.parameters())

    def forward(self, x):
        x = x if x.ndim == 2 else x.reshape(x.shape[0], -1)
        rep = torch.log10(1 + 10000 * self.mel(x)).transpose(1, 2)  # (b, T, 96)
        return self.head(self.backbone.dropout(self.backbone.features(rep)["penultimate"]))
