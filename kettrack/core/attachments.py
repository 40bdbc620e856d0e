"""Which files a claim may keep as attachments: PDFs and images, recognised by their leading bytes
(never by the name a file happens to have), within a size a scanned letter never needs to exceed."""

from __future__ import annotations

from kettrack.core.problems import InvalidInput

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024

_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"II*\x00", "image/tiff", ".tif"),
    (b"MM\x00*", "image/tiff", ".tif"),
)


def sniff(head: bytes) -> tuple[str, str] | None:
    """(media type, extension) for a file starting with ``head``, or None if it is not one we keep."""
    for signature, media_type, extension in _SIGNATURES:
        if head.startswith(signature):
            return media_type, extension
    return None


def check_attachment(head: bytes, size: int, name: str) -> tuple[str, str]:
    """The file's (media type, extension), or InvalidInput saying why it cannot be attached."""
    if size == 0:
        raise InvalidInput.single("file", f"{name} is empty")
    if size > MAX_ATTACHMENT_BYTES:
        raise InvalidInput.single(
            "file",
            f"{name} is {size / 1048576:.1f} MB; attachments can be at most 25 MB (scan at 200-300 dpi)",
        )
    kind = sniff(head)
    if kind is None:
        raise InvalidInput.single("file", f"{name} is not a PDF, PNG, JPEG or TIFF file")
    return kind
