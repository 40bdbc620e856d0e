"""A PDF shown inside the app, printing it, and handing a file to the system's viewer.

Pages are drawn by pdfium (the pypdfium2 wheel carries its own copy) into QImages. QtPdf is not used: its
wheel, pyside6-pdf, pins PySide6 6.12, whose reference counting is broken on Python 3.11. The PDF arrives
as bytes (rendered by a worker, or read from the database), so nothing needs a temporary file to be
previewed or printed.

pdfium is not thread-safe, not even across documents: every use of it here holds one lock, and every
pdfium object is closed explicitly, so that no garbage-collector finalizer closes one later on whichever
thread happens to run the collection. A superbill page renders in a few milliseconds, so the preview
renders on the GUI thread, and only the pages scrolled into view.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pypdfium2 as pdfium
from PySide6.QtCore import QRect, QSize, QSizeF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QPainter, QPaintEvent, QPalette, QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QLabel, QScrollArea, QSizePolicy, QStackedLayout, QWidget

from kettrack.ui.basics import tr

PREVIEW_DPI = 110  # pages are rendered once at this resolution (times the screen's pixel ratio), then scaled
PRINT_DPI = 300  # at most: a finer raster gains nothing visible on paper and swells the spool
POINTS_PER_INCH = 72

# Four bytes a pixel, the fourth opaque: on little-endian machines pdfium's BGRx is Qt's own RGB32
# (0xffRRGGBB), painted without a conversion; elsewhere ask for RGBx, which Qt reads byte by byte.
if sys.byteorder == "little":
    _RENDER_OPTIONS = {"prefer_bgrx": True}
    _IMAGE_FORMAT = QImage.Format.Format_RGB32
else:
    _RENDER_OPTIONS = {"prefer_bgrx": True, "rev_byteorder": True}
    _IMAGE_FORMAT = QImage.Format.Format_RGBX8888

_pdfium_lock = threading.RLock()


def open_in_viewer(path: Path) -> bool:
    """Open a file with the system's PDF viewer; tests patch this to keep viewers closed."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def viewer_copy(content: bytes, name: str) -> Path:
    """An owner-only temporary copy of a document held in the database, for an outside viewer."""
    from kettrack.services.viewer_copies import write_copy

    return write_copy(content, name)


@contextmanager
def opened(pdf: bytes) -> Iterator[pdfium.PdfDocument]:
    """The PDF opened in pdfium, holding pdfium's lock until the block ends; raises PdfiumError."""
    with _pdfium_lock:
        document = pdfium.PdfDocument(pdf)
        try:
            yield document
        finally:
            document.close()


@contextmanager
def page_image(document: pdfium.PdfDocument, index: int, dpi: float) -> Iterator[QImage]:
    """Page `index` drawn at `dpi` on white. The image shares pdfium's buffer, valid inside the block
    only: copy it to keep it (or to hand it to a paint engine that may read it later)."""
    page = document[index]
    try:
        bitmap = page.render(scale=dpi / POINTS_PER_INCH, **_RENDER_OPTIONS)
        try:
            yield QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride, _IMAGE_FORMAT)
        finally:
            bitmap.close()
    finally:
        page.close()


class PageColumn(QWidget):
    """The pages of one PDF one under another, each fitted to the column's width, rendered when first
    scrolled into view."""

    MARGIN = 8  # around and between the pages, in device-independent pixels
    KEPT_PAGES = 8  # rendered pages kept for scrolling back (4.5 MB each at 110 dpi, 4 times that on HiDPI)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)  # QScrollArea asks heightForWidth() for the column's height
        self.setSizePolicy(policy)
        self.pdf: bytes | None = None
        self.page_sizes: list[QSizeF] = []  # in points
        self._images: dict[int, QImage] = {}  # at PREVIEW_DPI times _images_ratio
        self._images_ratio = 0.0
        self._pixmaps: dict[int, QPixmap] = {}  # the images scaled to _pixmaps_width
        self._pixmaps_width = 0

    def set_document(self, pdf: bytes | None, page_sizes: list[QSizeF]) -> None:
        self.pdf, self.page_sizes = pdf, page_sizes
        self._images.clear()
        self._pixmaps.clear()
        self.updateGeometry()
        self.update()

    def page_rects(self, width: int) -> list[QRect]:
        inner = max(width - 2 * self.MARGIN, 1)
        rects, top = [], self.MARGIN
        for size in self.page_sizes:
            height = max(round(inner * size.height() / size.width()), 1) if size.width() > 0 else inner
            rects.append(QRect(self.MARGIN, top, inner, height))
            top += height + self.MARGIN
        return rects

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        rects = self.page_rects(width)
        return rects[-1].bottom() + 1 + self.MARGIN if rects else 0

    def sizeHint(self) -> QSize:
        return QSize(600, self.heightForWidth(600))

    def page_image(self, index: int) -> QImage:
        """Page `index` as rendered for the screen (rendered now if it has not been yet)."""
        self._render([index])
        return self._images[index]

    def _render(self, indexes: list[int]) -> None:
        ratio = self.devicePixelRatioF()
        if ratio != self._images_ratio:  # moved to a screen of another pixel density
            self._images.clear()
            self._pixmaps.clear()
            self._images_ratio = ratio
        missing = [index for index in indexes if index not in self._images]
        if not missing or self.pdf is None:
            return
        with opened(self.pdf) as document:
            for index in missing:
                try:
                    with page_image(document, index, PREVIEW_DPI * ratio) as image:
                        self._images[index] = image.copy()
                except pdfium.PdfiumError:
                    self._images[index] = QImage()  # a page pdfium cannot load stays blank
        # Forget the pages rendered longest ago (dicts keep insertion order), never the ones asked for.
        excess = len(self._images) - self.KEPT_PAGES
        for index in [index for index in self._images if index not in indexes][: max(excess, 0)]:
            del self._images[index]
            self._pixmaps.pop(index, None)

    def paintEvent(self, event: QPaintEvent) -> None:
        rects = self.page_rects(self.width())
        shown = [index for index, rect in enumerate(rects) if rect.intersects(event.rect())]
        self._render(shown)
        if self.width() != self._pixmaps_width:
            self._pixmaps.clear()
            self._pixmaps_width = self.width()
        painter = QPainter(self)
        for index in shown:
            pixmap = self._pixmaps.get(index)
            if pixmap is None:
                pixmap = self._pixmaps[index] = self._fitted(self._images[index], rects[index].size())
            painter.fillRect(rects[index], Qt.GlobalColor.white)
            painter.drawPixmap(rects[index].topLeft(), pixmap)
        painter.end()

    def _fitted(self, image: QImage, size: QSize) -> QPixmap:
        if image.isNull():
            return QPixmap()
        ratio = self._images_ratio
        scaled = image.scaled(
            size * ratio, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        pixmap = QPixmap.fromImage(scaled)
        pixmap.setDevicePixelRatio(ratio)
        return pixmap


class PdfPreview(QWidget):
    """Pages of one PDF, scrolled and fitted to the width, with a message while there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pages = PageColumn()
        self.view = QScrollArea(self)
        self.view.setObjectName("pdf_view")
        self.view.setAccessibleName(tr("Superbill preview"))
        self.view.setBackgroundRole(QPalette.ColorRole.Dark)  # the pages stand out from the background
        self.view.setWidgetResizable(True)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # fitted to width
        self.view.setWidget(self.pages)
        self.message = QLabel(tr("Preparing the preview…"))
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self._layout = QStackedLayout(self)
        self._layout.addWidget(self.message)
        self._layout.addWidget(self.view)

    def show_pdf(self, pdf: bytes) -> None:
        # Only the page sizes are read here (no page is loaded); pages render when painted.
        try:
            with opened(pdf) as document:
                sizes = [QSizeF(*document.get_page_size(index)) for index in range(len(document))]
        except pdfium.PdfiumError:
            sizes = []
        self.pages.set_document(pdf if sizes else None, sizes)
        self.view.verticalScrollBar().setValue(0)
        if not sizes:
            self.show_message(tr("The preview could not be shown."))
        else:
            self._layout.setCurrentWidget(self.view)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self._layout.setCurrentWidget(self.message)

    def page_count(self) -> int:
        return len(self.pages.page_sizes)

    def print_pages(self, parent: QWidget | None = None) -> bool:
        """Ask for a printer and print every page as an image fitted to the paper."""
        if self.pages.pdf is None:
            return False
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, parent or self)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return False
        print_document(self.pages.pdf, printer)
        return True


def print_document(pdf: bytes, printer: QPrinter) -> int:
    """Draw each page at the printer's resolution (PRINT_DPI at most); return how many were drawn."""
    painter = QPainter()
    if not painter.begin(printer):
        return 0
    printed = 0
    try:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        dpi = min(printer.resolution(), PRINT_DPI)
        with opened(pdf) as document:
            for index in range(len(document)):
                if index and not printer.newPage():
                    break
                with page_image(document, index, dpi) as shared:
                    # A copy owns its pixels: some print engines read an image only when the page ends.
                    image = shared.copy()
                target = painter.viewport()
                scaled = image.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.drawImage(QRect(target.topLeft(), scaled), image)
                printed += 1
    finally:
        painter.end()
    return printed


def preview_dialog(parent: QWidget, title: str, pdf: bytes) -> QWidget:
    """A window showing ``pdf`` (a letter's or a draft's preview), shown at once and returned."""
    from PySide6.QtWidgets import QDialog, QVBoxLayout

    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    dialog.resize(760, 900)
    view = PdfPreview()
    view.show_pdf(pdf)
    QVBoxLayout(dialog).addWidget(view)
    dialog.show()
    return dialog
