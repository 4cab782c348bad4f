"""The frame tasks, one object each in one registry (see :mod:`mirlearn.tasks.base`):
:data:`FRAME_TASKS` by name, :func:`get_task` to look one up."""

# registration, in this order (the CLI's choices follow it)
from . import onsets  # noqa: F401, I001
from . import drums  # noqa: F401
from . import pitch  # noqa: F401
from . import beats  # noqa: F401
from .base import FRAME_TASKS, TASK_VIEWS, EventTask, FrameTask, TaskView, detect_names, get_output, get_task, register, register_view

__all__ = ["FRAME_TASKS", "TASK_VIEWS", "FrameTask", "EventTask", "TaskView", "get_task", "get_output", "detect_names", "register",
           "register_view"]
