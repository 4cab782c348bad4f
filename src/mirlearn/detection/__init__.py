"""Detection: post-processing of frame activations (peak picking, thresholds, median
filter, Viterbi decoding) and non-learned baselines (spectral flux, SuperFlux, pYIN).
Times in seconds, frame rates in fps; activations ``(n_frames,)`` or
``(n_classes, n_frames)``."""

from .baselines import BASELINES, spectral_flux, superflux
from .peaks import DEFAULT_GRID, PEAK_PICKING_DEFAULTS, combine_events, median_filter, peak_pick, threshold_events, tune_peak_picking

__all__ = [
    "peak_pick",
    "combine_events",
    "threshold_events",
    "median_filter",
    "tune_peak_picking",
    "PEAK_PICKING_DEFAULTS",
    "DEFAULT_GRID",
    "spectral_flux",
    "superflux",
    "BASELINES",
]
