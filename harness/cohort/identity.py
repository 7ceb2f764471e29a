"""Who a learner is, across machines: a random id and an Ed25519 key pair.

Every learner gets a random id when their row is created (`learners.learner_id`, 64 bits
from SQLite's `randomblob`); names are display names, so two learners who both kept the
default name on their own machines stay two learners on a mentor's. The key pair is made
with the learner's folders: the private key lives in `learners/NAME/.identity/ed25519`
(mode 0600, never in the database, never in a bundle); the public key travels in every
bundle, which is signed with the private key.

What a signature proves: that the bundle was made by whoever holds that private key (the
learner's machine), and, with the key pinned by the mentor at the first import (trust on
first use), that every later bundle comes from the same machine and extends the history
imported before (continuity). What it cannot prove: that the learner's machine told the
truth. The learner owns that machine and its key, and can sign any records they like; only
a regrade of the graded code on the mentor's machine (`harness mentor regrade`) shows the
code is right.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from harness.learners import validate_name
from harness.paths import learners_dir

KEY_DIR = ".identity"
KEY_FILE = "ed25519"
# A mentor's own key signs the records it sends back to a learner (feedback, marks).
MENTOR_KEY = ".mentor-identity"


def key_path(name: str, learners_root: Path | None = None) -> Path:
    return (learners_root or learners_dir()) / validate_name(name) / KEY_DIR / KEY_FILE


def mentor_key_path(learners_root: Path | None = None) -> Path:
    return (learners_root or learners_dir()) / MENTOR_KEY / KEY_FILE


def _write_private(path: Path, raw: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(raw.hex().encode("ascii") + b"\n")


def load_or_create(path: Path) -> Ed25519PrivateKey:
    """The private key in `path`; a new one (written mode 0600) if there is none yet."""
    if not path.is_file():
        key = Ed25519PrivateKey.generate()
        try:
            _write_private(path, key.private_bytes_raw())
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            return key
    text = path.read_text(encoding="ascii").strip()
    try:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text))
    except ValueError:
        raise ValueError(
            f"{path} does not hold an Ed25519 private key (64 hex digits); move it aside "
            "and export again to make a new one (the mentor will then refuse it as another key)"
        ) from None


def learner_key(name: str, learners_root: Path | None = None) -> Ed25519PrivateKey:
    return load_or_create(key_path(name, learners_root))


def public_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes_raw().hex()


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return key.sign(message).hex()


def verify(public_key: str, signature: str, message: bytes) -> bool:
    """True if `signature` (hex) is `public_key`'s (hex) over `message`."""
    try:
        pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
        pub.verify(bytes.fromhex(signature), message)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def short_id(learner_id: str) -> str:
    return learner_id[:8]
