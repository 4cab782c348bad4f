"""Non-learned onset detection: spectral flux and SuperFlux (their detection functions are
features, in :mod:`mirlearn.features.frames`), with the peak-picking parameters and search
grid that suit their units; pYIN lives in :mod:`mirlearn.detection.pitch`.
"""

from __future__ import annotations

from ..features.frames import spectral_flux, superflux

__all__ = ["spectral_flux", "superflux", "BASELINES"]


_ODF_GRID = dict(
    threshold=[0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0],
    pre_max=[0.01, 0.03],
    post_max=[0.01, 0.05],
    pre_avg=[0.1, 0.15],
    post_avg=[0.0],
    smooth=[0.0],
    combine=[0.03],
)

#: method name -> (activation function, default peak picking, grid searched on validation)
BASELINES = {
    "spectral_flux": (spectral_flux, dict(threshold=1.0, pre_max=0.01, post_max=0.05, pre_avg=0.15, post_avg=0.0, combine=0.03), _ODF_GRID),
    "superflux": (superflux, dict(threshold=1.1, pre_max=0.01, post_max=0.05, pre_avg=0.15, post_avg=0.0, combine=0.03), _ODF_GRID),
}
