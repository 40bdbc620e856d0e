"""Remembering an encrypted database's passphrase in the system keyring (macOS Keychain, Windows
Credential Locker, the Secret Service on Linux desktops), through the ``keyring`` package.

Only a real, protected keyring counts: where there is none (a server, a bare container) or the only
one would keep the passphrase in a plain file beside the database, nothing is remembered and kettrack
asks for the passphrase at start. Every keyring failure means "not remembered", never a crash: the
passphrase can always be typed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SERVICE = "kettrack"


def _backend() -> Any | None:
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration: behave as if there were none
        log.warning("the system keyring could not be loaded")
        return None
    # Backends that would keep the secret nowhere (fail, null) or in a plain file (keyrings.alt).
    if isinstance(backend, (fail.Keyring, null.Keyring)) or type(backend).__name__ == "PlaintextKeyring":
        return None
    if float(getattr(backend, "priority", 0) or 0) <= 0:
        return None
    return backend


def available() -> bool:
    """Whether this machine has a keyring kettrack would trust with a passphrase."""
    return _backend() is not None


def _account(path: Path) -> str:
    return str(path.resolve())


def recall(path: Path) -> str | None:
    backend = _backend()
    if backend is None:
        return None
    try:
        value = backend.get_password(SERVICE, _account(path))
    except Exception:
        log.warning("the system keyring could not be read")
        return None
    return value if isinstance(value, str) and value else None


def remember(path: Path, passphrase: str) -> bool:
    """Keep the passphrase for ``path``; False when there is no keyring or it refused."""
    backend = _backend()
    if backend is None:
        return False
    try:
        backend.set_password(SERVICE, _account(path), passphrase)
    except Exception:
        log.warning("the system keyring refused to store the passphrase")
        return False
    return True


def forget(path: Path) -> None:
    backend = _backend()
    if backend is None:
        return
    try:
        backend.delete_password(SERVICE, _account(path))
    except Exception:  # nothing stored (PasswordDeleteError) or the keyring is gone: either way, done
        pass


# Secrets other than passphrases (the audit seal keys of kettrack.store.audit_anchor), under their own
# account names; the same rule holds: no trusted keyring, or any failure, means "not kept here".


def recall_secret(account: str) -> str | None:
    """The secret kept under ``account``, or None (none kept, or no keyring kettrack trusts)."""
    backend = _backend()
    if backend is None:
        return None
    try:
        value = backend.get_password(SERVICE, account)
    except Exception:
        log.warning("the system keyring could not be read")
        return None
    return value if isinstance(value, str) and value else None


def remember_secret(account: str, secret: str) -> bool:
    """Keep ``secret`` under ``account``; False when there is no keyring or it refused."""
    backend = _backend()
    if backend is None:
        return False
    try:
        backend.set_password(SERVICE, account, secret)
    except Exception:
        log.warning("the system keyring refused to store a secret")
        return False
    return True
