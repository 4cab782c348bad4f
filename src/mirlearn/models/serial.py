"""The serialisation contract of every network: ``get_config()`` and ``serialize()``."""

from __future__ import annotations

import torch
from torch import nn

from .._version import __version__


class _Serializable(nn.Module):
    def get_config(self):
        return dict(self._config)

    def serialize(self):
        """``{name, config, state_dict, versions}``: enough to rebuild the model."""
        return {
            "name": self.NAME,
            "config": self.get_config(),
            "state_dict": self.state_dict(),
            "versions": {"mirlearn": __version__, "torch": str(torch.__version__)},
        }
