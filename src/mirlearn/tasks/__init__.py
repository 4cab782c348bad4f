"""The frame tasks, one object each in one registry (see :mod:`mirlearn.tasks.base`):
:data:`FRAME_TASKS` by name, :func:`get_task` to look one up."""

# registration, in this order (the CLI's choices follow it)
from . import onsets  # noqa: F401, I001
from . import drums  # noqa: F401
from . import pitch  # noqa: F401
from .base import FRAME_TASKS, EventTask, FrameTask, get_task, register

__all__ = ["FRAME_TASKS", "FrameTask", "EventTask", "get_task", "register"]
