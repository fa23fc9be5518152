"""Jobs that only take time, in a module of their own: a worker that unpickles one imports
nothing heavier than this, so the job's deadline measures the job, not the start of a worker."""

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Nap:
    """A job that only takes time."""

    seconds: float

    def run(self) -> float:
        time.sleep(self.seconds)
        return self.seconds
