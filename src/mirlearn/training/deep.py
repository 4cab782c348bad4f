"""Training deep models on log-mel chunks with Lightning.

Training samples random fixed-length chunks (default 3 s) of the cached log-mel
spectrograms (``store/<key>/logmel.npy``, memory-mapped), with augmentation in the dB
domain (gain, additive noise at a random SNR, circular time shift); validation uses the
chunks that cover each whole clip (:func:`mirlearn.inference.chunks.chunk_starts`); a
clip's prediction is the mean of its chunks' probabilities. Early stopping on the
validation loss, best-checkpoint restore, cosine learning-rate schedule, seeded. The
input normalisation (one mean and standard deviation) comes from a seeded random sample
of the training clips.

Under DDP, epoch metrics are averaged over the ranks (``sync_dist``), so early stopping
and the best checkpoint follow the whole validation set, and :func:`train_network` tells
its caller which rank it is: only rank 0 writes outputs.

``accelerator``, ``devices``, ``strategy`` and ``num_nodes`` go to ``lightning.Trainer``
unchanged, so ``--accelerator gpu --devices 4 --strategy ddp`` trains with DDP on four GPUs,
and ``--num-nodes 2`` on two such machines (launched as Lightning documents, e.g. with SLURM),
with no code change.
"""

from __future__ import annotations

import logging
import math
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..inference.chunks import chunk_starts, crop

__all__ = ["ChunkDataset", "train_network", "normalisation"]


def _load(path):
    return np.load(path, mmap_mode="r")


class ChunkDataset(Dataset):
    """Chunks of cached log-mel spectrograms, or of signals (``waveform=True``: chunks in
    samples, augmented in the signal domain).

    Training mode: item ``i`` is a random chunk of clip ``i % n_clips`` (``chunks_per_clip``
    items per clip and epoch), augmented. Evaluation mode: every non-overlapping chunk of
    every clip, in order.
    """

    def __init__(self, files, targets, *, chunk_frames, mean, std, train, chunks_per_clip=4, augment=None, waveform=False):
        self.files = [str(f) for f in files]
        self.targets = targets
        self.chunk_frames = int(chunk_frames)
        self.mean, self.std = float(mean), float(std)
        self.train = train
        self.chunks_per_clip = chunks_per_clip
        self.augment = augment or {}
        self.waveform = bool(waveform)
        if not train:
            self.index = []
            for i, f in enumerate(self.files):
                self.index += [(i, s) for s in chunk_starts(_load(f).shape[-1], self.chunk_frames)]

    def __len__(self):
        return len(self.files) * self.chunks_per_clip if self.train else len(self.index)

    def _crop(self, X, start):
        return crop(X, start, self.chunk_frames, fill=0.0 if self.waveform else None)

    def __getitem__(self, i):
        if self.train:
            c = i % len(self.files)
            X = _load(self.files[c])
            start = int(torch.randint(0, max(X.shape[-1] - self.chunk_frames, 0) + 1, (1,)))
            x = self._augment(self._crop(X, start))
        else:
            c, start = self.index[i]
            x = self._crop(_load(self.files[c]), start)
        x = (x - self.mean) / self.std
        return torch.from_numpy(x), torch.as_tensor(self.targets[c])

    def _augment(self, x):
        if self.waveform:
            return self._augment_signal(x)
        a = self.augment
        if a.get("gain_db"):
            x = x + float(torch.empty(1).uniform_(-a["gain_db"], a["gain_db"]))
        if a.get("noise_snr_db") is not None and float(torch.rand(1)) < 0.5:
            p = np.power(10.0, x / 10.0)
            snr = a["noise_snr_db"] + float(torch.empty(1).uniform_(-10, 10))
            level = p.mean() / (10 ** (snr / 10.0))
            noise = level * torch.randn(x.shape).numpy() ** 2
            x = (10.0 * np.log10(p + noise + 1e-10)).astype(np.float32)
        if a.get("time_shift"):
            x = np.roll(x, int(torch.randint(0, x.shape[1], (1,))), axis=1)
        return x

    def _augment_signal(self, x):
        """The same three augmentations on a signal chunk: gain, white noise at a random SNR
        (half the chunks), circular shift."""
        a = self.augment
        if a.get("gain_db"):
            x = x * np.float32(10 ** (float(torch.empty(1).uniform_(-a["gain_db"], a["gain_db"])) / 20))
        if a.get("noise_snr_db") is not None and float(torch.rand(1)) < 0.5:
            snr = a["noise_snr_db"] + float(torch.empty(1).uniform_(-10, 10))
            level = np.sqrt(np.mean(x.astype(np.float64) ** 2) / 10 ** (snr / 10))
            x = (x + level * torch.randn(x.shape).numpy()).astype(np.float32)
        if a.get("time_shift"):
            x = np.roll(x, int(torch.randint(0, x.shape[1], (1,))), axis=1)
        return x


def _lightning_module(net, *, multilabel, lr, weight_decay, epochs, backbone_lr=1.0):
    import lightning as L

    class ChunkClassifier(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = net
            self.loss = torch.nn.BCEWithLogitsLoss() if multilabel else torch.nn.CrossEntropyLoss()

        def forward(self, x):
            return self.net(x)

        def _step(self, batch, stage):
            x, y = batch
            logits = self.net(x)
            loss = self.loss(logits, y.float() if multilabel else y)
            # sync_dist: under DDP each rank sees part of the data; the logged epoch value
            # (and so early stopping and checkpointing) is the mean over the ranks
            log = dict(prog_bar=True, on_epoch=True, on_step=False, batch_size=len(x), sync_dist=True)
            self.log(f"{stage}_loss", loss, **log)
            if not multilabel:
                acc = (logits.argmax(1) == y).float().mean()
                self.log(f"{stage}_acc", acc, **log)
            return loss

        def training_step(self, batch, batch_idx):
            return self._step(batch, "train")

        def validation_step(self, batch, batch_idx):
            return self._step(batch, "val")

        def configure_optimizers(self):
            params = self.parameters()
            if hasattr(self.net, "backbone_parameters"):  # a pretrained backbone learns more slowly
                backbone = self.net.backbone_parameters()
                ids = {id(p) for p in backbone}
                params = [{"params": backbone, "lr": lr * backbone_lr},
                          {"params": [p for p in self.net.parameters() if id(p) not in ids]}]
            opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
            return {"optimizer": opt, "lr_scheduler": sched}

    return ChunkClassifier()


def normalisation(files, *, seed, max_files=200):
    """Mean and standard deviation of the training log-mels (a scalar each), from at most
    ``max_files`` clips drawn at random (seeded) from all of them."""
    files = list(files)
    if len(files) > max_files:
        pick = np.sort(np.random.default_rng(seed).choice(len(files), size=max_files, replace=False))
        files = [files[i] for i in pick]
    s = ss = n = 0.0
    for f in files:
        X = np.asarray(_load(f), dtype=np.float64)
        s += X.sum()
        ss += (X**2).sum()
        n += X.size
    mean = s / n
    std = math.sqrt(max(ss / n - mean**2, 1e-12))
    return mean, std


def train_network(net, cfg, *, train_files, train_targets, valid_files, valid_targets, multilabel, out_dir, chunk_frames, progress=True,
                  waveform=False):
    """Train ``net`` in place; returns ``(extra, history, rank)`` where ``extra`` holds
    what prediction needs (chunk length, normalisation, input kind), ``history`` the per-epoch
    metrics (on rank 0) and ``rank`` this process's global rank (0 without DDP).
    ``waveform``: the files are signals and ``chunk_frames`` counts samples; they are not
    normalised (the model's own first layers scale them)."""
    import lightning as L

    from ..errors import ParameterError

    if len(valid_files) == 0:
        raise ParameterError(
            "deep models need a validation part (early stopping, best checkpoint) and it is empty: "
            "add 'valid' items to the manifest, raise valid_size, or add data"
        )
    L.seed_everything(cfg["seed"], workers=True, verbose=False)
    mean, std = (0.0, 1.0) if waveform else normalisation(train_files, seed=cfg["seed"])
    common = dict(chunk_frames=chunk_frames, mean=mean, std=std, waveform=waveform)
    train_ds = ChunkDataset(train_files, train_targets, train=True, chunks_per_clip=cfg["chunks_per_clip"], augment=cfg["augment"], **common)
    valid_ds = ChunkDataset(valid_files, valid_targets, train=False, **common)
    g = torch.Generator().manual_seed(cfg["seed"])
    loaders = dict(num_workers=cfg["num_workers"], persistent_workers=cfg["num_workers"] > 0)
    train_dl = DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True, generator=g, drop_last=len(train_ds) > cfg["batch_size"], **loaders)
    valid_dl = DataLoader(valid_ds, batch_size=cfg["batch_size"], shuffle=False, **loaders)
    module = _lightning_module(net, multilabel=multilabel, lr=cfg["lr"], weight_decay=cfg["weight_decay"], epochs=cfg["epochs"],
                               backbone_lr=cfg.get("backbone_lr", 1.0))
    trainer, history = fit_best(module, train_dl, valid_dl, cfg, out_dir, progress=progress)
    net.eval()
    extra = {"chunk_frames": int(chunk_frames), "norm_mean": mean, "norm_std": std, "epochs_run": trainer.current_epoch,
             "input": "waveform" if waveform else "logmel"}
    return extra, history, trainer.global_rank


def loss_module(net, batch_loss, *, lr, weight_decay, epochs, optimizer="adamw", on_train_epoch_start=None):
    """A thin LightningModule around ``net``: ``batch_loss(net, batch, stage)`` gives the
    loss of a batch (``stage`` is ``'train'`` or ``'val'``), logged per epoch as
    ``train_loss``/``val_loss``; Adam(W) with a cosine schedule over ``epochs``;
    ``on_train_epoch_start(module)`` runs before each training epoch."""
    import lightning as L
    import torch

    opt_cls = {"adamw": torch.optim.AdamW, "adam": torch.optim.Adam}[optimizer]

    class LossModule(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = net

        def _step(self, batch, stage):
            loss = batch_loss(self.net, batch, stage)
            n = len(batch[0]) if isinstance(batch, (list, tuple)) else len(batch)
            self.log(f"{stage}_loss", loss, prog_bar=True, on_epoch=True, on_step=False, batch_size=n, sync_dist=True)
            return loss

        def on_train_epoch_start(self):
            if on_train_epoch_start is not None:
                on_train_epoch_start(self)

        def training_step(self, batch, batch_idx):
            return self._step(batch, "train")

        def validation_step(self, batch, batch_idx):
            return self._step(batch, "val")

        def configure_optimizers(self):
            opt = opt_cls(self.parameters(), lr=lr, weight_decay=weight_decay)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
            return {"optimizer": opt, "lr_scheduler": sched}

    return LossModule()


def fit_best(module, train_dl, valid_dl, cfg, out_dir, *, progress=True):
    """Fit ``module`` with :func:`make_trainer`, then load the best checkpoint (lowest
    validation loss) back into it. Returns ``(trainer, history)``.

    Lightning's own chatter (accelerator lines, tips, deprecations of its dependencies) is
    silenced; what it warns about the data or the model, and every warning of ours, is kept.
    ``progress`` shows one bar over the epochs (on stderr) with the losses of the last one."""
    import torch

    with quiet_lightning():
        trainer, ckpt = make_trainer(cfg, out_dir, progress=progress)
        trainer.fit(module, train_dl, valid_dl)
    best = trainer.strategy.broadcast(ckpt.best_model_path)  # rank 0 saved it
    if best:
        # the checkpoint this run just wrote; its weights are all that is read back
        module.load_state_dict(torch.load(best, map_location="cpu", weights_only=True)["state_dict"])
    history = _history(Path(out_dir) / "logs" / "metrics.csv") if trainer.is_global_zero else []
    return trainer, history


# Lightning (and torch under it) tell a user what is not about their data or model: the
# accelerators found, advertisements, deprecations inside Lightning's own code, the reason
# fit returned (our progress line says it).
_LIGHTNING_LOGGERS = ("lightning.pytorch", "lightning.fabric", "pytorch_lightning", "lightning_fabric")
_FOREIGN_WARNINGS = (
    r".*LeafSpec.* is deprecated",
    r".*does not have many workers",  # we choose num_workers from the configuration
    r".*Checkpoint directory .* exists and is not empty",  # --overwrite has been given for that
    r".*number of training batches .* is smaller than the logging interval",
)


@contextmanager
def quiet_lightning():
    """Within the block, Lightning logs only warnings and errors, and the known warnings of
    :data:`_FOREIGN_WARNINGS` are dropped; everything is restored on exit."""
    loggers = [logging.getLogger(name) for name in _LIGHTNING_LOGGERS]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings():
        for message in _FOREIGN_WARNINGS:
            warnings.filterwarnings("ignore", message=message)
        for lg in loggers:
            lg.setLevel(max(lg.level, logging.WARNING))
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels):
                lg.setLevel(level)


def _epoch_bar(progress):
    """A Lightning callback: one closing line on stdout (epochs run, why it stopped, the best
    validation loss and its epoch) and, if ``progress``, one bar over the epochs on stderr
    with the last epoch's training and validation losses."""
    from lightning.pytorch.callbacks import Callback

    class EpochBar(Callback):
        def __init__(self):
            self.bar, self.best = None, (float("inf"), -1)

        def on_train_start(self, trainer, pl_module):
            if progress and trainer.is_global_zero:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=trainer.max_epochs, unit="epoch", desc="training", file=sys.stderr)

        def on_train_epoch_end(self, trainer, pl_module):
            m = {k: float(v) for k, v in trainer.callback_metrics.items() if k.endswith("_loss")}
            if "val_loss" in m and m["val_loss"] < self.best[0]:
                self.best = (m["val_loss"], trainer.current_epoch)
            if self.bar is None:
                return
            self.bar.set_postfix({k: f"{v:.3f}" for k, v in sorted(m.items(), reverse=True)}, refresh=False)
            self.bar.update(1)

        def on_train_end(self, trainer, pl_module):
            if self.bar is not None:
                self.bar.close()
            if trainer.is_global_zero:
                n = trainer.current_epoch
                why = "stopped early" if trainer.should_stop and n < trainer.max_epochs else "all epochs"
                where = f" on {trainer.world_size} processes" if trainer.world_size > 1 else ""
                print(f"trained {n} epoch(s){where} ({why}); best val_loss {self.best[0]:.4f} at epoch {self.best[1]}", flush=True)

    return EpochBar()


def make_trainer(cfg, out_dir, *, progress=True):
    """The Lightning trainer of every deep model: early stopping on the validation loss, the
    best checkpoint kept (``out_dir/checkpoints/best.ckpt``), CSV logs, deterministic; the
    accelerator, devices, strategy and nodes from the configuration; our epoch line, and bar
    when ``progress``. Returns ``(trainer, checkpoint_callback)``."""
    import lightning as L
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
    from lightning.pytorch.loggers import CSVLogger

    ckpt = ModelCheckpoint(dirpath=str(Path(out_dir) / "checkpoints"), filename="best", monitor="val_loss", mode="min", save_top_k=1)
    callbacks = [EarlyStopping(monitor="val_loss", mode="min", patience=cfg["patience"]), ckpt]
    trainer = L.Trainer(
        max_epochs=cfg["epochs"],
        accelerator=cfg["accelerator"],
        devices=cfg["devices"],
        strategy=cfg["strategy"],
        num_nodes=cfg["num_nodes"],
        callbacks=[*callbacks, _epoch_bar(progress)],
        logger=CSVLogger(str(out_dir), name="logs", version=""),
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=1,
        deterministic=True,
    )
    return trainer, ckpt


def _history(csv_path):
    import pandas as pd

    if not csv_path.exists():
        return []
    df = pd.read_csv(csv_path)
    if "epoch" not in df:
        return []
    return df.groupby("epoch").mean(numeric_only=True).reset_index().to_dict("records")
