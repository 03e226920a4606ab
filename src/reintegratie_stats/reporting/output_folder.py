"""A safe ``--out`` folder: build aside, move into place when complete, one run at a time.

:class:`OutputFolder` is used as a context manager around a report run:

1. it takes a lock (``.<out>.lock`` beside the folder, holding the pid); a second run into the
   same folder stops with :class:`OutputBusyError` instead of mixing its tables with the
   first's (a lock left by a run that no longer exists is taken over, and said so);
2. the report is written into a temporary folder beside ``out`` (same file system);
3. :meth:`OutputFolder.commit` moves the new files into ``out``, ``manifest.json`` last,
   after moving the previous run's files (those its ``manifest.json`` lists, nothing else)
   aside; files a user put into ``out`` are never deleted, and a file of ours that would
   overwrite one of theirs stops the run before anything is moved;
4. an interrupted or failed run removes its temporary folder and leaves the previous report
   as it was (or nothing, when there was none); :attr:`OutputFolder.message` says which.

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
>>> with OutputFolder(out) as folder:
...     _ = (folder.tmp / "report.html").write_text("<html></html>")
...     _ = (folder.tmp / "manifest.json").write_text('{"files": {"report": ["report.html"]}}')
...     _ = folder.commit()
>>> sorted(p.name for p in out.iterdir())
['manifest.json', 'report.html']
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from ..io import UnusableInputError

__all__ = ["OutputBusyError", "OutputFolder", "files_of_manifest"]

MANIFEST = "manifest.json"


class OutputBusyError(UnusableInputError):
    """Another run is writing into the same output folder."""


def files_of_manifest(out: Path) -> list[str]:
    """The files (relative paths) the package wrote into ``out``, as its manifest lists them."""
    path = out / MANIFEST
    if not path.is_file():
        return []
    try:
        files = json.loads(path.read_text(encoding="utf-8")).get("files", {})
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return []
    listed = [f for group in files.values() for f in group if isinstance(f, str)]
    return [*listed, MANIFEST]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, but belongs to someone else
        return True
    return True


def _inside(base: Path, rel: str) -> Path | None:
    """``base / rel`` if it stays inside ``base`` (a manifest must not point elsewhere)."""
    p = (base / rel).resolve()
    try:
        p.relative_to(base.resolve())
    except ValueError:
        return None
    return p


class OutputFolder:
    """Lock ``out``, give a temporary folder to write into, move it into place on commit."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.parent = self.out.resolve().parent
        self.lock = self.parent / f".{self.out.name}.lock"
        self.tmp = self.parent / f".{self.out.name}.tmp-{os.getpid()}"
        self.backup = self.parent / f".{self.out.name}.old-{os.getpid()}"
        self.committed = False
        self.message = ""
        self.notes: list[str] = []
        self._old_handler: Any = None

    # ------------------------------------------------------------------ lock
    def _acquire(self) -> None:
        self.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                try:
                    pid = int(self.lock.read_text().split()[0])
                except (OSError, ValueError, IndexError):
                    pid = -1
                if pid > 0 and _alive(pid):
                    raise OutputBusyError(
                        f"another report run (process {pid}) is writing into {self.out}; wait "
                        f"for it to finish, or remove {self.lock} if no such run exists"
                    ) from None
                self.notes.append(f"took over the lock of an ended run (process {pid})")
                self.lock.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(f"{os.getpid()} {time.strftime('%Y-%m-%dT%H:%M:%S')}\n")
            return
        raise OutputBusyError(f"cannot lock {self.out} (lock file {self.lock})")

    def _clean_leftovers(self) -> None:
        """Temporary folders of runs that were killed (ours: the name says so, the pid is gone)."""
        for p in self.parent.glob(f".{self.out.name}.tmp-*"):
            pid = p.name.rsplit("-", 1)[-1]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)
                self.notes.append(f"removed {p.name}, left by an interrupted run")
        for p in self.parent.glob(f".{self.out.name}.old-*"):
            pid = p.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not _alive(int(pid)):
                # a run died while swapping: put the previous report back where it was missing
                for f in sorted(q for q in p.rglob("*") if q.is_file()):
                    dest = self.out / f.relative_to(p)
                    if not dest.exists():
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(f, dest)
                shutil.rmtree(p, ignore_errors=True)
                self.notes.append(f"restored the previous report from {p.name}")

    def __enter__(self) -> OutputFolder:
        self._acquire()
        try:
            self._clean_leftovers()
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp.mkdir(parents=True)
        except BaseException:
            self.lock.unlink(missing_ok=True)
            raise
        if threading.current_thread() is threading.main_thread():
            # a terminated run cleans up like an interrupted one (SIGKILL cannot be caught:
            # then the next run removes the temporary folder)
            self._old_handler = signal.signal(signal.SIGTERM, _raise_interrupt)
        return self

    # ------------------------------------------------------------------ commit
    def commit(self) -> list[str]:
        """Move the new report into ``out``; returns the previous run's files that were replaced.

        Raises
        ------
        UnusableInputError
            A new file would overwrite a file in ``out`` that the package did not write.
        """
        new = sorted(str(p.relative_to(self.tmp)) for p in self.tmp.rglob("*") if p.is_file())
        old = [f for f in files_of_manifest(self.out) if _inside(self.out, f) is not None]
        theirs = [f for f in new if (self.out / f).exists() and f not in old]
        if theirs:
            raise UnusableInputError(
                f"{self.out} holds {', '.join(theirs[:3])}, which this package did not write "
                "(not in its manifest.json); move them away or choose another --out"
            )
        self.out.mkdir(parents=True, exist_ok=True)
        # the previous report's files aside (only ours), then the new ones in, manifest last
        moved = []
        for f in old:
            src = self.out / f
            if src.is_file():
                dest = self.backup / f
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dest)
                moved.append(f)
        for f in sorted(new, key=lambda x: x == MANIFEST):
            dest = self.out / f
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.tmp / f, dest)
        shutil.rmtree(self.backup, ignore_errors=True)
        for sub in ("tables", "figures"):  # an empty folder of ours goes with its files
            d = self.out / sub
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
        self.committed = True
        return moved

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._old_handler is not None:
            signal.signal(signal.SIGTERM, self._old_handler)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.lock.unlink(missing_ok=True)
        if self.committed:
            self.message = f"report written to {self.out}"
        elif (self.out / MANIFEST).is_file():
            self.message = f"no new report written; the previous report in {self.out} is intact"
        else:
            self.message = f"no report written to {self.out}"
        if exc is not None and not self.committed:
            exc.add_note(self.message)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"terminated by signal {signum}")
