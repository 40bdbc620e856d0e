"""A PDF shown inside the app (QtPdf), printing it, and handing a file to the system's viewer.

The PDF arrives as bytes (rendered by a worker, or read from an issued file) and is loaded from a
memory buffer, so a superbill never needs a temporary file to be previewed or printed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget

from kettrack.ui.basics import tr


def open_in_viewer(path: Path) -> bool:
    """Open a file with the system's PDF viewer; tests patch this to keep viewers closed."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def viewer_copy(content: bytes, name: str) -> Path:
    """An owner-only temporary copy of a document held in the database, for an outside viewer."""
    from kettrack.store.viewer_copies import write_copy

    return write_copy(content, name)


class PdfPreview(QWidget):
    """Pages of one PDF, scrolled and fitted to the width, with a message while there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setObjectName("pdf_view")
        self.view.setAccessibleName(tr("Superbill preview"))
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)
        self.message = QLabel(tr("Preparing the preview…"))
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self._layout = QStackedLayout(self)
        self._layout.addWidget(self.message)
        self._layout.addWidget(self.view)

    def show_pdf(self, pdf: bytes) -> None:
        # A new document each time: QPdfView keeps rendered pages cached per document, and reloading
        # one it shows could leave the old pages (an unnumbered preview) on screen.
        document = QPdfDocument(self)
        buffer = QBuffer(document)  # the document reads from it lazily: it lives as long as the document
        buffer.setData(QByteArray(pdf))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        document.load(buffer)
        old, self.document = self.document, document
        self.view.setDocument(document)
        old.deleteLater()
        if document.status() == QPdfDocument.Status.Error or self.page_count() == 0:
            self.show_message(tr("The preview could not be shown."))
        else:
            self._layout.setCurrentWidget(self.view)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self._layout.setCurrentWidget(self.message)

    def page_count(self) -> int:
        return self.document.pageCount()

    def print_pages(self, parent: QWidget | None = None) -> bool:
        """Ask for a printer and print every page as an image fitted to the paper."""
        if self.page_count() == 0:
            return False
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, parent or self)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return False
        print_document(self.document, printer)
        return True


def print_document(document: QPdfDocument, printer: QPrinter) -> None:
    """Draw each page at the printer's resolution (300 dpi at most, to keep the spool small)."""
    painter = QPainter()
    if not painter.begin(printer):
        return
    try:
        dpi = min(printer.resolution(), 300)
        for page in range(document.pageCount()):
            if page:
                printer.newPage()
            points = document.pagePointSize(page)
            size = QSize(round(points.width() * dpi / 72), round(points.height() * dpi / 72))
            image = document.render(page, size)
            target = painter.viewport()
            scaled = image.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRect(target.topLeft(), scaled), image)
    finally:
        painter.end()
