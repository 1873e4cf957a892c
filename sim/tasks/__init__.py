"""Task registry. Importing this package registers every task in ``catalog``."""

from . import catalog as _catalog  # noqa: F401  (registers the tasks)
from .base import TASKS, EpisodeSetup, Task, get_task, list_tasks, register_task

__all__ = ["TASKS", "EpisodeSetup", "Task", "get_task", "list_tasks", "register_task"]
