"""Reports: the run's ``report.html`` (self-contained: figures are embedded PNGs)."""

from .html import write_frame_report, write_report

__all__ = ["write_report", "write_frame_report"]
