"""MNIST-family data: IDX parsing, checksums, the search order, downloads, stacking.

Where the four IDX files are looked for, in order (the first folder that holds both the
images and the labels of the split wins):

1. ``<data_dir>/<name>/`` when ``data_dir`` is given,
2. ``$MINE_DATA_DIR/<name>/``,
3. the user cache, ``$XDG_CACHE_HOME/mine_lib/<name>/`` or ``~/.cache/mine_lib/<name>/``,
4. ``/usr/share/datasets/<name>/`` (Debian: ``apt-get install dataset-fashion-mnist``),
5. a download into the user cache (checksum checked, then an atomic rename).

Each file may be gzipped (``train-images-idx3-ubyte.gz``) or not (``train-images-idx3-ubyte``,
or LeCun's ``train-images.idx3-ubyte``). Every file is checked against the checksum table
below before it is used.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import tempfile
import urllib.request
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError, InputError

NAMES = ("mnist", "fashion-mnist")
SPLITS = ("train", "test")
PREFIX = {"train": "train", "test": "t10k"}
SYSTEM_DIR = Path("/usr/share/datasets")
APT_HINT = "sudo apt-get install dataset-fashion-mnist"
TIMEOUT_S = 10.0

# MD5 of each file: "gz" is the official .gz as published, "raw" the uncompressed IDX.
# Both are accepted for a .gz file, because Debian recompresses the files (different gz
# bytes, same content). The Fashion-MNIST "raw" values were computed from Debian's
# dataset-fashion-mnist 0.0~git20200523.55506a9-1 and agree with published lists.
CHECKSUMS: dict[str, dict[str, dict[str, str]]] = {
    "mnist": {
        "train-images-idx3-ubyte": {
            "gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "raw": "6bbc9ace898e44ae57da46a324031adb",
        },
        "train-labels-idx1-ubyte": {
            "gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "raw": "a25bea736e30d166cdddb491f175f624",
        },
        "t10k-images-idx3-ubyte": {
            "gz": "9fb629c4189551a2d022fa330f9573f3",
            "raw": "2646ac647ad5339dbf082846283269ea",
        },
        "t10k-labels-idx1-ubyte": {
            "gz": "ec29112dd5afa0611ce80d1b7f02629c",
            "raw": "27ae3e4e09519cfbb04c329615203637",
        },
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": {
            "gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "raw": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        },
        "train-labels-idx1-ubyte": {
            "gz": "25c81989df183df01b3e8a0aad5dffbe",
            "raw": "9018921c3c673c538a1fc5bad174d6f9",
        },
        "t10k-images-idx3-ubyte": {
            "gz": "bef4ecab320f06d8554ea6380940ec79",
            "raw": "8181f5470baa50b63fa0f6fddb340f0a",
        },
        "t10k-labels-idx1-ubyte": {
            "gz": "bb300cfdad3c16e7a12a480ee83cd310",
            "raw": "15d484375f8d13e6eb1aabb0c3f46965",
        },
    },
}

# Base URLs tried in order; the file name plus ".gz" is appended.
MIRRORS: dict[str, list[str]] = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ],
    "fashion-mnist": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ],
}

# IDX type codes -> big-endian numpy dtypes.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


@dataclass
class ImageDataset:
    """Images (n, 28, 28) uint8 and labels (n,) int64 of one split."""

    images: np.ndarray
    labels: np.ndarray
    name: str
    path: Path
    fallback: bool = False

    def __len__(self) -> int:
        return len(self.labels)


# ---------------------------------------------------------------- IDX parsing


def is_gzip(data: bytes) -> bool:
    return data[:2] == b"\x1f\x8b"


def gunzip(data: bytes, source: str) -> bytes:
    """Decompress, turning a truncated or broken gzip stream into a DataError."""
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{source}: not a readable gzip file ({err}); it is truncated "
                        "or corrupted: delete it and fetch it again.") from None


def parse_idx(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse uncompressed IDX bytes: magic 00 00 <type> <ndim>, ndim big-endian int32 sizes."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        raise DataError(f"{source}: bad IDX magic number {raw[:4].hex() or '(empty)'}; "
                        "expected 0000 then a type byte (08 for uint8) and the rank. "
                        "This is not an IDX file.")
    dtype, ndim = IDX_DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{source}: IDX header claims {ndim} dimensions but the file is "
                        f"only {len(raw)} bytes long.")
    shape = tuple(int(s) for s in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(f"{source}: IDX header says shape {shape}, i.e. {expected} bytes, "
                        f"but the file holds {len(raw)} bytes (truncated or corrupted).")
    data = np.frombuffer(raw, dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise DataError(f"cannot read {path}: {err.strerror or err}") from None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzipped or plain (told apart by content, not by name)."""
    path = Path(path)
    data = read_bytes(path)
    if is_gzip(data):
        data = gunzip(data, str(path))
    return parse_idx(data, str(path))


# ---------------------------------------------------------------- checksums


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def checked_bytes(path: Path, name: str, stem: str) -> bytes:
    """The uncompressed bytes of a file, after checking them against CHECKSUMS."""
    data = read_bytes(path)
    packed = is_gzip(data)
    sums = CHECKSUMS.get(name, {}).get(stem)
    if sums is None:  # not in the table: nothing to check against
        return gunzip(data, str(path)) if packed else data
    gz_md5 = md5(data) if packed else None
    if packed and gz_md5 == sums.get("gz"):
        return gunzip(data, str(path))
    raw = try_gunzip(data) if packed else data
    raw_md5 = md5(raw) if raw is not None else None
    if raw is not None and raw_md5 == sums.get("raw"):
        return raw
    raise checksum_error(path, sums, gz_md5, raw_md5)


def try_gunzip(data: bytes) -> bytes | None:
    """Decompressed bytes, or None when the gzip stream is broken."""
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return None


def checksum_error(path: Path, sums: dict[str, str], gz_md5: str | None,
                   raw_md5: str | None) -> DataError:
    if gz_md5 is None:
        expected, actual = f"md5 {sums.get('raw')}", f"md5 {raw_md5}"
    else:
        expected = f"md5 {sums.get('gz')} (gzip file) or {sums.get('raw')} (uncompressed)"
        content = raw_md5 or "n/a, the gzip stream is broken"
        actual = f"md5 {gz_md5} (gzip file), {content} (uncompressed)"
    return DataError(f"{path} fails its checksum: expected {expected}, got {actual}. "
                     "The file is truncated or corrupted: delete it and fetch it again.")


# ---------------------------------------------------------------- where files live


def stems(split: str) -> tuple[str, str]:
    """File names (without .gz) of the images and the labels of a split."""
    prefix = PREFIX[split]
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def file_in(folder: Path, stem: str) -> Path | None:
    """The file for `stem` in `folder`, under any of the accepted names."""
    lecun = stem.replace("-idx", ".idx")  # "train-images.idx3-ubyte"
    for candidate in (stem + ".gz", stem, lecun + ".gz", lecun):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mine_lib"


def search_folders(name: str, data_dir: str | os.PathLike | None) -> list[Path]:
    """Folders to look in, in order; the user cache is always one of them."""
    roots = []
    if data_dir is not None:
        roots.append(Path(data_dir))
    if os.environ.get("MINE_DATA_DIR"):
        roots.append(Path(os.environ["MINE_DATA_DIR"]))
    roots += [cache_root(), SYSTEM_DIR]
    return [root / name for root in roots]


# ---------------------------------------------------------------- downloads


def download_file(name: str, stem: str, folder: Path) -> Path:
    """Fetch `stem`.gz from the mirrors into `folder`, checked, with an atomic rename."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(f"cannot create the cache folder {folder}: {err.strerror}") from None
    final, failures = folder / (stem + ".gz"), []
    for base in MIRRORS.get(name, []):
        reason = fetch_one(base + stem + ".gz", final, name, stem)
        if reason is None:
            return final
        failures.append(f"  {base}{stem}.gz: {reason}")
    with contextlib.suppress(OSError):
        folder.rmdir()  # only removes the folder if it is empty
    tried = "\n".join(failures) or "  (no mirror configured)"
    raise DataError(f"could not download {stem}.gz for {name}: no mirror gave a good file "
                    f"(offline?). Tried:\n{tried}")


def fetch_one(url: str, final: Path, name: str, stem: str) -> str | None:
    """Try one URL; None on success, else why it failed. No partial file is ever kept."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:
            while chunk := resp.read(1 << 20):
                out.write(chunk)
        checked_bytes(tmp, name, stem)
        os.replace(tmp, final)  # atomic: the final name only ever holds a checked file
        return None
    except DataError as err:
        return f"downloaded file rejected: {err}"
    except Exception as err:  # network errors come in many types; each means "next mirror"
        return f"{type(err).__name__}: {getattr(err, 'reason', None) or err}"
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------- loading


# What this process loaded: dataset name -> True when it stood in for MNIST. A chapter's
# "this run" box reads it to say which data really ran.
LOADED: dict[str, bool] = {}


def load_mnist_family(name: str = "mnist", split: str = "train",
                      data_dir: str | os.PathLike | None = None,
                      download: bool = True) -> ImageDataset:
    """Load one split of MNIST or Fashion-MNIST, following the search order above."""
    if name not in NAMES:
        raise InputError(f"unknown dataset {name!r}; choose one of {', '.join(NAMES)}")
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; choose 'train' or 'test'")
    folders = search_folders(name, data_dir)
    for folder in folders:
        if all(file_in(folder, stem) for stem in stems(split)):
            data = read_split(name, split, folder, can_repair(folder, download))
            LOADED.setdefault(name, False)
            return data
    cache = cache_root() / name
    if download:
        data = read_split(name, split, cache, repair=True)
        LOADED.setdefault(name, False)
        return data
    looked = "\n".join(f"  {f}/" for f in folders)
    raise DataError(f"{name} ({split}) not found; looked in:\n{looked}\n"
                    "and downloading was not allowed (download=False).")


def can_repair(folder: Path, download: bool) -> bool:
    """Only files in a writable user cache are deleted and fetched again."""
    in_cache = folder == cache_root() / folder.name
    return download and in_cache and os.access(folder, os.W_OK)


def read_split(name: str, split: str, folder: Path, repair: bool) -> ImageDataset:
    image_stem, label_stem = stems(split)
    image_file, image_raw = read_member(name, image_stem, folder, repair)
    label_file, label_raw = read_member(name, label_stem, folder, repair)
    images = parse_idx(image_raw, str(image_file))
    labels = parse_idx(label_raw, str(label_file))
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise DataError(f"{image_file}: expected uint8 images of shape (n, 28, 28), "
                        f"got {images.dtype} {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(f"{label_file}: expected {len(images)} labels, got shape {labels.shape}")
    return ImageDataset(images, labels.astype(np.int64), name, folder)


def read_member(name: str, stem: str, folder: Path, repair: bool) -> tuple[Path, bytes]:
    """A file's checked bytes; with `repair`, a missing or corrupted file is (re)fetched."""
    path, problem = file_in(folder, stem), None
    if path is not None:
        try:
            return path, checked_bytes(path, name, stem)
        except DataError as err:
            if not repair:
                raise
            problem = err
            warnings.warn(f"{err} Removing it and downloading it again.", stacklevel=4)
            path.unlink()
    elif not repair:
        raise DataError(f"{folder}: no file for {stem} (.gz or uncompressed)")
    try:
        path = download_file(name, stem, folder)
    except DataError as err:
        before = f"{problem}\n" if problem else ""
        raise DataError(f"{before}{err}") from None
    return path, checked_bytes(path, name, stem)


# ---------------------------------------------------------------- MNIST or its stand-in

BANNER = """
{rule}
  MNIST IS NOT AVAILABLE: USING FASHION-MNIST INSTEAD
  Loaded {path}.
  Every number below is measured on Fashion-MNIST. The paper's MNIST
  numbers are NOT comparable with them; do not read them side by side.
  To get MNIST: put its four IDX files in $MINE_DATA_DIR/mnist/ or
  allow a download (network access), then run again.
{rule}
"""


def load_digits(split: str = "train", data_dir: str | os.PathLike | None = None,
                download: bool = True) -> ImageDataset:
    """MNIST if it can be had, else Fashion-MNIST (fallback=True), announced loudly the
    first time in a process (a banner on stdout and a UserWarning)."""
    try:
        return load_mnist_family("mnist", split, data_dir, download)
    except DataError as err:
        mnist_error = err
    try:
        data = load_mnist_family("fashion-mnist", split, data_dir, download)
    except DataError as err:
        raise DataError(f"neither MNIST nor Fashion-MNIST could be loaded.\n"
                        f"MNIST: {mnist_error}\nFashion-MNIST: {err}\n"
                        f"On Debian/Ubuntu, `{APT_HINT}` installs Fashion-MNIST offline; "
                        "or put the IDX files in $MINE_DATA_DIR/<name>/.") from None
    data.fallback = True
    first = not LOADED.get(data.name, False)
    LOADED[data.name] = True
    if first:  # said once per process (a chapter's kernel), however many splits it loads
        print(BANNER.format(rule="!" * 72, path=data.path))
        warnings.warn(f"MNIST not available ({first_line(mnist_error)}); using Fashion-MNIST "
                      "instead. The paper's MNIST numbers are not comparable.", stacklevel=2)
    return data


def first_line(err: Exception) -> str:
    return str(err).splitlines()[0]


# ---------------------------------------------------------------- stacked MNIST


def stack_channels(images: np.ndarray, labels: np.ndarray, n: int,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Stacked MNIST: n samples of 3 random images as channels, mode = 100*l0 + 10*l1 + l2."""
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise InputError(f"expected images (m, h, w) and labels (m,), got {images.shape} "
                         f"and {labels.shape}")
    if len(images) == 0 or n < 0:
        raise InputError(f"need at least one image and n >= 0, got {len(images)} images, n={n}")
    if labels.min() < 0 or labels.max() > 9:
        raise InputError("labels must be digits 0..9 for the 1000-mode label")
    pick = np.random.default_rng(seed).integers(0, len(images), size=(n, 3))
    stacked = images[pick].astype(np.uint8)  # (n, 3, h, w)
    chosen = labels[pick].astype(np.int64)
    return stacked, chosen @ np.array([100, 10, 1], dtype=np.int64)
