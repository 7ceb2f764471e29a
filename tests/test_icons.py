"""The icon data set: shapes, labels, seeded bytes, split separation, and learnable classes."""

import hashlib

import numpy as np
import pytest
from PIL import Image

from labs.x2_multimodal import grammar
from labs.x2_multimodal.icons import (
    contact_sheet,
    dataset_hash,
    load_icons,
    make_icons,
    write_dataset,
)


@pytest.fixture(scope="module")
def train():
    return make_icons(900, seed=0)


@pytest.fixture(scope="module")
def heldout():
    return make_icons(300, seed=0, split="heldout")


def sha256(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def test_images_are_float32_in_unit_range_with_consistent_labels(train):
    assert train.images.shape == (900, 32, 32) and train.images.dtype == np.float32
    assert 0.0 <= train.images.min() and train.images.max() <= 1.0
    assert len(train) == 900 and train.size == 32
    for f, v, t, p in zip(train.form, train.verb, train.tense, train.person, strict=True):
        form = grammar.form_from_index(int(f))
        assert (form.verb_index, form.tense_index, form.person_index) == (v, t, p)
    assert train.texts()[0] == grammar.form_from_index(int(train.form[0])).text


def test_every_form_appears_equally_often(train):
    assert np.bincount(train.form, minlength=300).tolist() == [3] * 300


def test_same_seed_same_bytes_and_different_seed_different_bytes():
    a, b = make_icons(60, seed=7), make_icons(60, seed=7)
    assert sha256(a.images) == sha256(b.images) and sha256(a.form) == sha256(b.form)
    assert dataset_hash(a) == dataset_hash(b)
    assert dataset_hash(a) != dataset_hash(make_icons(60, seed=8))


def test_train_and_heldout_share_no_stream(train, heldout):
    assert dataset_hash(make_icons(300, 0)) != dataset_hash(heldout)
    seen = {sha256(img) for img in train.images}
    assert not any(sha256(img) in seen for img in heldout.images)
    # Neighbouring seeds must not line the splits up either (a naive seed+1 derivation would).
    assert dataset_hash(make_icons(30, 1)) != dataset_hash(make_icons(30, 0, split="heldout"))


def test_unknown_split_names_the_known_ones():
    with pytest.raises(ValueError, match="'test'.*train, heldout"):
        make_icons(3, seed=0, split="test")


def test_dataset_hash_sees_a_single_pixel(train):
    changed = make_icons(20, seed=0)
    before = dataset_hash(changed)
    changed.images[5, 10, 10] += 0.01
    assert dataset_hash(changed) != before


def test_other_sizes_render():
    icons = make_icons(10, seed=0, size=48)
    assert icons.images.shape == (10, 48, 48)


def nearest_centroid_accuracy(train, test, attr: str, n_classes: int) -> float:
    centroids = np.stack(
        [train.images[getattr(train, attr) == c].mean(0) for c in range(n_classes)]
    ).reshape(n_classes, -1)
    flat = test.images.reshape(len(test), 1, -1)
    guess = ((flat - centroids[None]) ** 2).sum(-1).argmin(1)
    return float((guess == getattr(test, attr)).mean())


@pytest.mark.parametrize(
    "attr,n_classes,floor", [("tense", 5, 0.95), ("person", 3, 0.95), ("verb", 20, 0.60)]
)
def test_classes_separate_even_for_a_nearest_centroid_classifier(
    train, heldout, attr, n_classes, floor
):
    # A pixel-space centroid is a weak learner (chance is 1/n_classes); a ViT must do far
    # better on the verb, but if this fails the glyphs or the jitter have drifted apart.
    acc = nearest_centroid_accuracy(train, heldout, attr, n_classes)
    assert acc >= floor, f"{attr}: nearest-centroid held-out accuracy {acc:.3f} < {floor}"


def test_contact_sheet_has_a_row_per_verb(train, tmp_path):
    path = contact_sheet(train, tmp_path / "sheet.png", per_row=4)
    with Image.open(path) as img:
        width, height = img.size
    assert width > 4 * 32 * 3 and height > 20 * 32 * 3


def test_write_dataset_round_trips(tmp_path):
    paths = write_dataset(tmp_path / "icons", n_train=40, n_heldout=20, seed=3)
    assert [p.name for p in paths] == ["icons-train.npz", "icons-heldout.npz", "contact-sheet.png"]
    assert all(p.exists() for p in paths)
    train, heldout = load_icons(paths[0]), load_icons(paths[1])
    assert dataset_hash(train) == dataset_hash(make_icons(40, seed=3))
    assert dataset_hash(heldout) == dataset_hash(make_icons(20, seed=3, split="heldout"))
    assert (train.split, train.seed, heldout.split) == ("train", 3, "heldout")
