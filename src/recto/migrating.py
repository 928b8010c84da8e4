"""`recto up` migrates every service's tables once, while the services start.

Before starting the services it takes the advisory lock of every set of migrations that is
behind; it then migrates them in a thread while the services import their code. A service
that reaches its own upgrade meanwhile waits for the lock and finds its tables ready, so on
an empty database Alembic is imported by this process only, not by every service in turn.
With an existing database every set is at its heads and this costs one query per set.
"""

from __future__ import annotations

import asyncio
import threading

from infra.migrations import upgrade_many_async
from recto.services import every_migration
from recto.supervisor import Report


class MigrationsUpFront:
    def __init__(self, database_url: str, report: Report) -> None:
        self.database_url, self.report = database_url, report
        self._locked = threading.Event()
        self._thread = threading.Thread(target=self._run, name="migrations", daemon=True)

    def start(self) -> None:
        """Return once the locks are held (or the attempt failed); migrate in the background."""
        self._thread.start()
        self._locked.wait()

    def _run(self) -> None:
        try:
            asyncio.run(
                upgrade_many_async(every_migration(), self.database_url, locked=self._locked.set)
            )
        except Exception as error:
            first_line = (str(error).splitlines() or [type(error).__name__])[0]
            self.report(f"migrating failed ({first_line}); each service tries as it starts")
        finally:
            self._locked.set()
