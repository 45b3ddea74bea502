"""Tests of mine_lib.datasets on tiny IDX files written here (no network, no real cache)."""

from __future__ import annotations

import gzip
import hashlib
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pytest

from mine_lib import datasets as ds
from mine_lib.errors import DataError, InputError

REAL_URLOPEN = urllib.request.urlopen


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX encoding of a uint8 or int32 array."""
    code = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C}[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def tiny_split(n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    return images, labels


def write_split(folder: Path, name: str, split: str = "train", gz: bool = True,
                n: int = 12, seed: int = 0, register: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Write a split's two IDX files; record their checksums in the (patched) table."""
    folder.mkdir(parents=True, exist_ok=True)
    images, labels = tiny_split(n, seed)
    for stem, array in zip(ds.stems(split), (images, labels), strict=True):
        raw = idx_bytes(array)
        data = gzip.compress(raw, mtime=0) if gz else raw
        (folder / (stem + (".gz" if gz else ""))).write_bytes(data)
        if register:
            ds.CHECKSUMS.setdefault(name, {})[stem] = {"gz": md5(gzip.compress(raw, mtime=0)),
                                                       "raw": md5(raw)}
    return images, labels


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Every location under tmp_path; empty checksum table and mirrors; only file:// URLs."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MINE_DATA_DIR", raising=False)
    monkeypatch.setattr(ds, "SYSTEM_DIR", tmp_path / "system")
    monkeypatch.setattr(ds, "CHECKSUMS", {})
    monkeypatch.setattr(ds, "MIRRORS", {"mnist": [], "fashion-mnist": []})

    def file_only(url, *args, **kwargs):
        assert url.startswith("file:"), f"test tried the network: {url}"
        return REAL_URLOPEN(url, *args, **kwargs)

    monkeypatch.setattr(ds.urllib.request, "urlopen", file_only)
    monkeypatch.setattr(ds, "LOADED", {})  # what "this process" loaded: nothing yet
    return tmp_path


def cache_dir(tmp_path: Path, name: str = "mnist") -> Path:
    return tmp_path / "cache" / "mine_lib" / name


# ---------------------------------------------------------------- IDX parsing


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_round_trip(tmp_path, gz):
    images, _ = tiny_split(5)
    wide = np.arange(-6, 6, dtype=np.int32).reshape(3, 4) * 100_000  # needs byte order right
    for i, array in enumerate((images, wide)):
        raw = idx_bytes(array)
        path = tmp_path / f"a{i}"
        path.write_bytes(gzip.compress(raw) if gz else raw)
        out = ds.read_idx(path)
        assert out.shape == array.shape
        np.testing.assert_array_equal(out, array)


def test_bad_magic_number(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(b"\x12\x34\x08\x01" + b"\x00" * 8)
    with pytest.raises(DataError, match="magic"):
        ds.read_idx(path)


def test_size_mismatch_is_reported(tmp_path):
    raw = idx_bytes(tiny_split(3)[0])
    path = tmp_path / "short"
    path.write_bytes(raw[:-10])
    with pytest.raises(DataError, match=r"shape \(3, 28, 28\).*truncated"):
        ds.read_idx(path)


def test_bad_magic_through_the_loader(isolated, monkeypatch):
    folder = isolated / "data" / "mnist"
    write_split(folder, "mnist", gz=False, register=False)
    (folder / "train-labels-idx1-ubyte").write_bytes(b"\x01\x02\x03\x04rest")
    monkeypatch.setenv("MINE_DATA_DIR", str(isolated / "data"))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte: bad IDX magic"):
        ds.load_mnist_family("mnist", download=False)


def test_wrong_image_shape(isolated, monkeypatch):
    folder = isolated / "data" / "mnist"
    folder.mkdir(parents=True)
    (folder / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((4, 10, 10), np.uint8)))
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(4, np.uint8)))
    monkeypatch.setenv("MINE_DATA_DIR", str(isolated / "data"))
    with pytest.raises(DataError, match=r"shape \(n, 28, 28\)"):
        ds.load_mnist_family("mnist", download=False)


# ---------------------------------------------------------------- loading and search order


@pytest.mark.parametrize("gz", [True, False])
def test_load_round_trip(isolated, monkeypatch, gz):
    images, labels = write_split(isolated / "data" / "mnist", "mnist", "test", gz=gz, n=7)
    monkeypatch.setenv("MINE_DATA_DIR", str(isolated / "data"))
    data = ds.load_mnist_family("mnist", "test", download=False)
    assert data.images.shape == (7, 28, 28) and data.images.dtype == np.uint8
    assert data.labels.shape == (7,) and data.labels.dtype == np.int64
    np.testing.assert_array_equal(data.images, images)
    np.testing.assert_array_equal(data.labels, labels)
    assert (data.name, data.path, data.fallback) == ("mnist", isolated / "data" / "mnist", False)


def test_lecun_file_names_accepted(isolated, monkeypatch):
    folder = isolated / "data" / "mnist"
    write_split(folder, "mnist", "test", gz=False)
    for path in list(folder.iterdir()):
        path.rename(folder / path.name.replace("-idx", ".idx"))  # t10k-images.idx3-ubyte
    monkeypatch.setenv("MINE_DATA_DIR", str(isolated / "data"))
    assert len(ds.load_mnist_family("mnist", "test", download=False)) == 12


def test_search_order(isolated, monkeypatch):
    places = {
        "arg": isolated / "arg" / "mnist",
        "env": isolated / "env" / "mnist",
        "cache": cache_dir(isolated),
        "system": isolated / "system" / "mnist",
    }
    for folder in places.values():
        write_split(folder, "mnist")
    monkeypatch.setenv("MINE_DATA_DIR", str(isolated / "env"))
    load = ds.load_mnist_family
    assert load("mnist", data_dir=isolated / "arg", download=False).path == places["arg"]
    assert load("mnist", download=False).path == places["env"]
    monkeypatch.setenv("MINE_DATA_DIR", str(isolated / "empty"))
    assert load("mnist", download=False).path == places["cache"]
    monkeypatch.setenv("XDG_CACHE_HOME", str(isolated / "nocache"))
    assert load("mnist", download=False).path == places["system"]


def test_home_cache_used_without_xdg(isolated, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    folder = isolated / "home" / ".cache" / "mine_lib" / "fashion-mnist"
    write_split(folder, "fashion-mnist")
    assert ds.load_mnist_family("fashion-mnist", download=False).path == folder


def test_incomplete_folder_is_skipped(isolated, monkeypatch):
    write_split(isolated / "system" / "mnist", "mnist")
    partial = isolated / "env" / "mnist"
    write_split(partial, "mnist")
    (partial / "train-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv("MINE_DATA_DIR", str(isolated / "env"))
    assert ds.load_mnist_family("mnist", download=False).path == isolated / "system" / "mnist"


def test_nothing_found_no_download(isolated):
    with pytest.raises(DataError, match="not found; looked in") as info:
        ds.load_mnist_family("mnist", "test", download=False)
    assert str(cache_dir(isolated)) in str(info.value)


def test_bad_name_and_split():
    with pytest.raises(InputError, match="unknown dataset"):
        ds.load_mnist_family("cifar")
    with pytest.raises(InputError, match="unknown split"):
        ds.load_mnist_family("mnist", "valid")


# ---------------------------------------------------------------- checksums and downloads


def truncate(path: Path) -> int:
    """Cut a file to half its length, as an interrupted download would; return the new size."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return len(data) // 2


def test_recompressed_gz_accepted_by_content(isolated, monkeypatch):
    # Debian recompresses the .gz files: other gz bytes, same content -> accepted.
    folder = isolated / "data" / "mnist"
    images, _ = write_split(folder, "mnist")
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()), compresslevel=1, mtime=7))
    assert md5(path.read_bytes()) != ds.CHECKSUMS["mnist"]["train-images-idx3-ubyte"]["gz"]
    monkeypatch.setenv("MINE_DATA_DIR", str(isolated / "data"))
    np.testing.assert_array_equal(ds.load_mnist_family("mnist", download=False).images, images)


@pytest.mark.parametrize("gz", [True, False])
def test_corrupted_file_outside_cache_is_an_error(isolated, monkeypatch, gz):
    folder = isolated / "data" / "mnist"
    write_split(folder, "mnist", gz=gz)
    bad = folder / ("train-images-idx3-ubyte" + (".gz" if gz else ""))
    size = truncate(bad)
    actual = md5(bad.read_bytes())
    expected = ds.CHECKSUMS["mnist"]["train-images-idx3-ubyte"]["gz" if gz else "raw"]
    monkeypatch.setenv("MINE_DATA_DIR", str(isolated / "data"))
    with pytest.raises(DataError) as info:
        ds.load_mnist_family("mnist", download=True)
    message = str(info.value)
    assert str(bad) in message and "fails its checksum" in message
    assert expected in message and actual in message
    assert bad.stat().st_size == size  # left alone: not ours to delete


def test_corrupted_cache_file_without_download_is_an_error(isolated):
    folder = cache_dir(isolated)
    write_split(folder, "mnist")
    truncate(folder / "train-labels-idx1-ubyte.gz")
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz fails its checksum"):
        ds.load_mnist_family("mnist", download=False)
    assert (folder / "train-labels-idx1-ubyte.gz").exists()


def test_corrupted_cache_file_is_refetched(isolated, monkeypatch):
    good = isolated / "mirror"
    images, labels = write_split(good, "mnist")
    folder = cache_dir(isolated)
    write_split(folder, "mnist")
    truncate(folder / "train-images-idx3-ubyte.gz")
    monkeypatch.setattr(ds, "MIRRORS", {"mnist": [good.as_uri() + "/"]})
    with pytest.warns(UserWarning, match="downloading it again"):
        data = ds.load_mnist_family("mnist")
    name = "train-images-idx3-ubyte.gz"
    assert (folder / name).read_bytes() == (good / name).read_bytes()
    np.testing.assert_array_equal(data.images, images)
    assert data.path == folder
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in good.iterdir())


def test_download_into_empty_cache(isolated, monkeypatch):
    good = isolated / "mirror"
    _, labels = write_split(good, "fashion-mnist", "test")
    dead = (isolated / "nowhere").as_uri() + "/"  # a mirror that fails first
    monkeypatch.setattr(ds, "MIRRORS", {"fashion-mnist": [dead, good.as_uri() + "/"]})
    data = ds.load_mnist_family("fashion-mnist", "test")
    folder = cache_dir(isolated, "fashion-mnist")
    assert data.path == folder
    np.testing.assert_array_equal(data.labels, labels)
    assert sorted(p.name for p in folder.iterdir()) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def test_bad_download_leaves_no_file(isolated, monkeypatch):
    mirror = isolated / "mirror"
    write_split(mirror, "mnist")
    truncate(mirror / "train-images-idx3-ubyte.gz")
    monkeypatch.setattr(ds, "MIRRORS", {"mnist": [mirror.as_uri() + "/"]})
    with pytest.raises(DataError, match="downloaded file rejected"):
        ds.load_mnist_family("mnist")
    folder = cache_dir(isolated)
    assert not folder.exists() or list(folder.iterdir()) == []


def test_offline_is_a_clean_error(isolated, monkeypatch):
    monkeypatch.setattr(ds, "MIRRORS", {"mnist": [(isolated / "offline").as_uri() + "/"]})
    with pytest.raises(DataError, match="could not download .*offline") as info:
        ds.load_mnist_family("mnist")
    assert info.value.__suppress_context__ and info.value.__cause__ is None


# ---------------------------------------------------------------- MNIST or Fashion-MNIST


def test_load_digits_prefers_mnist(isolated, capsys):
    write_split(isolated / "system" / "mnist", "mnist")
    write_split(isolated / "system" / "fashion-mnist", "fashion-mnist")
    data = ds.load_digits(download=False)
    assert (data.name, data.fallback) == ("mnist", False)
    assert "FASHION-MNIST" not in capsys.readouterr().out


def test_load_digits_falls_back_loudly(isolated, capsys):
    write_split(isolated / "system" / "fashion-mnist", "fashion-mnist", "test")
    with pytest.warns(UserWarning, match="not comparable"):
        data = ds.load_digits("test", download=False)
    assert (data.name, data.fallback) == ("fashion-mnist", True)
    out = capsys.readouterr().out
    assert "USING FASHION-MNIST INSTEAD" in out and "NOT comparable" in out
    assert len(out.strip().splitlines()) >= 5


def test_chapter_data_states_the_fallback_once_in_its_own_words(isolated, capsys):
    from mine_lib.experiments.classifier import load_chapter_data

    for split in ("train", "test"):
        write_split(isolated / "system" / "fashion-mnist", "fashion-mnist", split)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the loader's warning must not reach the page
        data = load_chapter_data("Harder classes.")
    assert (data.name, data.fallback) == ("Fashion-MNIST", True)
    assert capsys.readouterr().out == ""  # no banner either
    assert "ran on Fashion-MNIST" in data.note and data.note.endswith("Harder classes.")
    write_split(isolated / "system" / "mnist", "mnist", "train")
    write_split(isolated / "system" / "mnist", "mnist", "test")
    data = load_chapter_data("Harder classes.")
    assert (data.name, data.fallback) == ("MNIST", False)
    assert "Harder" not in data.note and "MNIST" in data.note


def test_load_digits_neither(isolated):
    with pytest.raises(DataError) as info:
        ds.load_digits(download=False)
    message = str(info.value)
    assert "MNIST:" in message and "Fashion-MNIST:" in message
    assert "apt-get install dataset-fashion-mnist" in message


@pytest.mark.skipif(not Path("/usr/share/datasets/fashion-mnist").is_dir(),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_debian_fashion_mnist_passes_the_real_checksums(monkeypatch):
    monkeypatch.undo()  # the real table and folder; the environment stays isolated
    monkeypatch.setenv("XDG_CACHE_HOME", "/nonexistent-mine-lib-test")
    monkeypatch.delenv("MINE_DATA_DIR", raising=False)
    data = ds.load_mnist_family("fashion-mnist", "test", download=False)
    assert data.images.shape == (10000, 28, 28)
    assert np.bincount(data.labels).tolist() == [1000] * 10


# ---------------------------------------------------------------- stacked MNIST


def test_stack_channels_labels_match_channels():
    rng = np.random.default_rng(1)
    m = 50
    images = np.repeat(np.arange(m, dtype=np.uint8), 28 * 28).reshape(m, 28, 28)  # image i == i
    labels = rng.integers(0, 10, size=m)
    stacked, modes = ds.stack_channels(images, labels, n=200, seed=3)
    assert stacked.shape == (200, 3, 28, 28) and stacked.dtype == np.uint8
    assert modes.shape == (200,) and modes.dtype == np.int64
    picked = stacked[:, :, 0, 0].astype(int)  # the index of each channel's image
    expected = 100 * labels[picked[:, 0]] + 10 * labels[picked[:, 1]] + labels[picked[:, 2]]
    np.testing.assert_array_equal(modes, expected)
    assert 0 <= modes.min() and modes.max() <= 999
    assert len(np.unique(picked)) > 30  # the picks really are spread over the images
    again, _ = ds.stack_channels(images, labels, n=200, seed=3)
    other, _ = ds.stack_channels(images, labels, n=200, seed=4)
    assert np.array_equal(again, stacked) and not np.array_equal(other, stacked)


def test_stack_channels_bad_input():
    images, labels = tiny_split(5)
    with pytest.raises(InputError, match="0..9"):
        ds.stack_channels(images, labels.astype(int) + 10, n=3)
    with pytest.raises(InputError, match="labels"):
        ds.stack_channels(images, labels[:4], n=3)


def test_fallback_is_announced_once_per_process(isolated, capsys):
    """A chapter loads train and test: one banner on its page, not one a split."""
    for split in ("train", "test"):
        write_split(isolated / "system" / "fashion-mnist", "fashion-mnist", split)
    with pytest.warns(UserWarning, match="not comparable"):
        ds.load_digits("train", download=False)
    assert capsys.readouterr().out.count("USING FASHION-MNIST INSTEAD") == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = ds.load_digits("test", download=False)
    assert data.fallback and "FASHION-MNIST" not in capsys.readouterr().out
    assert ds.LOADED == {"fashion-mnist": True}
