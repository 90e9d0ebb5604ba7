"""Model signatures: Ed25519 over a model's id and content hash, made when the model is registered.

The content hash already proves a stored artifact is the file it claims to be; it does not prove who put
it there: anyone who can write to the ``models`` table can store a forged file with its own correct hash
(issue 11: +200 base points, re-hashed, loaded). A signature made with a private key the database never
holds closes that: the service verifies every stored model against the public key from its settings
(``model_key_path``), and refuses one whose signature is missing or does not verify.

The key file is PEM: a private key where models are registered (``lucidscore demo``,
``register_model``), or only the public key on a server that just scores. ``cryptography`` does the
cryptography; it is imported here only.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lucidscore.errors import InputError


def _message(model_id: str, content_hash: str) -> bytes:
    return f"lucidscore-model\n{model_id}\n{content_hash}".encode()


@dataclass(frozen=True)
class ModelKey:
    """The key models are signed with (``private``, where they are registered) and verified with."""

    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None = None

    def sign(self, model_id: str, content_hash: str) -> str:
        """The base64 signature of the model registered as ``model_id`` with ``content_hash``."""
        if self.private is None:
            raise InputError("this model key holds only the public key; sign with the private key file")
        return base64.b64encode(self.private.sign(_message(model_id, content_hash))).decode()

    def verifies(self, model_id: str, content_hash: str, signature: str | None) -> bool:
        if not signature:
            return False
        try:
            raw = base64.b64decode(signature, validate=True)
            self.public.verify(raw, _message(model_id, content_hash))
        except (InvalidSignature, ValueError):
            return False
        return True


def generate_model_key(path: Path) -> ModelKey:
    """A new private key, written to ``path`` as PEM, readable by its owner only (0600)."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return ModelKey(private.public_key(), private)


def load_model_key(path: Path) -> ModelKey:
    """The key in a PEM file: an Ed25519 private key (sign and verify) or public key (verify only)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"model key {path}: cannot be read ({exc.strerror})") from None
    try:
        if b"PRIVATE KEY" in data:
            private = serialization.load_pem_private_key(data, password=None)
            if isinstance(private, Ed25519PrivateKey):
                return ModelKey(private.public_key(), private)
        else:
            public = serialization.load_pem_public_key(data)
            if isinstance(public, Ed25519PublicKey):
                return ModelKey(public)
    except (ValueError, TypeError):
        pass
    raise InputError(
        f"model key {path}: expected an Ed25519 key in PEM form (BEGIN PRIVATE KEY or BEGIN PUBLIC KEY)"
    )


def public_pem(key: ModelKey) -> bytes:
    """The public half of ``key`` as PEM, for servers that only verify."""
    return key.public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
