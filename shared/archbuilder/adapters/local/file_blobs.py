"""BlobStore on a folder: the embedded default for Cloud Storage."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from archbuilder.platform.errors import BadRequest, Conflict


class FolderBlobStore:
    """Objects are files under ``root``; the generation is the file's mtime in nanoseconds."""

    def __init__(self, root: Path | str) -> None:
        self._root = Path(root).resolve()
        self._root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def _file(self, name: str) -> Path:
        parts = name.split("/")
        if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise BadRequest(code="INVALID_OBJECT_NAME", name=name[:200])
        return self._root.joinpath(*parts)

    def put(
        self,
        name: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        if_generation_match: int | None = None,
    ) -> int:
        target = self._file(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            current = target.stat().st_mtime_ns if target.exists() else 0
            if if_generation_match is not None and current != if_generation_match:
                raise Conflict(code="GENERATION_MISMATCH", name=name)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
            generation = target.stat().st_mtime_ns
            if generation <= current:
                # Keep generations strictly increasing even on coarse clocks.
                generation = current + 1
                os.utime(target, ns=(generation, generation))
            return generation

    def get(self, name: str) -> bytes | None:
        target = self._file(name)
        try:
            return target.read_bytes()
        except FileNotFoundError:
            return None

    def list(self, prefix: str) -> list[str]:
        names = []
        for path in self._root.rglob("*"):
            if path.is_file() and not path.name.startswith(".upload-"):
                name = path.relative_to(self._root).as_posix()
                if name.startswith(prefix):
                    names.append(name)
        return sorted(names)

    def delete(self, name: str) -> None:
        self._file(name).unlink(missing_ok=True)
