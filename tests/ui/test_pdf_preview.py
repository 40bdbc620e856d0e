"""The in-app PDF preview (pdfium through pypdfium2): a real superbill's pages shown fitted to the width,
a file that is no PDF refused with a message, and printing to a PDF file read back with pypdf."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtGui import QImage
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot

from kettrack.reports.superbill import render_superbill
from kettrack.ui.pdf_preview import PREVIEW_DPI, PageColumn, PdfPreview, print_document
from tests.reports.test_superbill_pdf import _bill  # the reports tests' three-page superbill


@pytest.fixture(scope="module")
def superbill_pdf() -> bytes:
    return render_superbill(_bill(14))  # three pages


def _dark_share(image: QImage) -> float:
    """The share of a page's pixels that are darker than mid-grey (text and rules)."""
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    bits, stride, width = memoryview(gray.constBits()), gray.bytesPerLine(), gray.width()
    dark = sum(
        sum(1 for value in bits[row * stride : row * stride + width] if value < 128)
        for row in range(gray.height())
    )
    return dark / (width * gray.height())


@pytest.fixture
def preview(qtbot: QtBot) -> PdfPreview:
    widget = PdfPreview()
    qtbot.addWidget(widget)
    widget.resize(700, 900)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_a_superbill_shows_every_page_fitted_to_the_width(preview: PdfPreview, superbill_pdf: bytes) -> None:
    preview.show_pdf(superbill_pdf)
    assert preview.page_count() == 3
    assert preview.view.isVisibleTo(preview) and not preview.message.isVisibleTo(preview)
    assert preview.view.objectName() == "pdf_view" and preview.view.accessibleName()

    page = preview.pages.page_image(0)
    assert (page.width(), page.height()) == (round(8.5 * PREVIEW_DPI), round(11 * PREVIEW_DPI))  # US letter
    assert 0.002 < _dark_share(page) < 0.5  # text on white: neither blank nor black

    # The column is as wide as the viewport and as tall as its pages; the first page is painted.
    viewport = preview.view.viewport()
    assert preview.pages.width() == viewport.width()
    assert preview.pages.height() == preview.pages.heightForWidth(viewport.width()) > 3 * viewport.width()
    shown = preview.view.grab().toImage()
    assert 0.002 < _dark_share(shown)

    wide = viewport.width()
    preview.resize(500, 900)  # narrower: the pages follow
    assert preview.pages.width() == preview.view.viewport().width() < wide
    assert preview.pages.height() == preview.pages.heightForWidth(preview.pages.width())


def test_only_pages_scrolled_into_view_are_rendered(preview: PdfPreview, superbill_pdf: bytes) -> None:
    preview.show_pdf(superbill_pdf)
    preview.view.grab()
    assert 0 in preview.pages._images and 2 not in preview.pages._images
    preview.view.verticalScrollBar().setValue(preview.view.verticalScrollBar().maximum())
    preview.view.grab()
    assert 2 in preview.pages._images


def test_a_long_document_keeps_a_few_rendered_pages(preview: PdfPreview) -> None:
    preview.show_pdf(render_superbill(_bill(80)))
    pages = preview.page_count()
    assert pages > PageColumn.KEPT_PAGES + 2
    scroll = preview.view.verticalScrollBar()
    for value in range(0, scroll.maximum() + 1, max(scroll.pageStep() // 2, 1)):
        scroll.setValue(value)
        preview.view.grab()
        assert len(preview.pages._images) <= PageColumn.KEPT_PAGES + 2  # the kept ones and those in view
    assert pages - 1 in preview.pages._images


def test_what_is_no_pdf_shows_a_message(preview: PdfPreview, superbill_pdf: bytes) -> None:
    preview.show_pdf(superbill_pdf)
    preview.show_pdf(b"%PDF-1.4 this is not a PDF")
    assert preview.page_count() == 0
    assert preview.message.isVisibleTo(preview) and "could not be shown" in preview.message.text()
    assert preview.print_pages() is False  # nothing to print: no printer dialog
    preview.show_pdf(superbill_pdf)  # and the next one shows again
    assert preview.page_count() == 3 and preview.view.isVisibleTo(preview)


def test_print_document_draws_every_page(qapp, superbill_pdf: bytes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    assert print_document(superbill_pdf, printer) == 3
    reader = PdfReader(io.BytesIO((tmp_path / "printed.pdf").read_bytes()))
    assert len(reader.pages) == 3
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 3
    assert images[0].image is not None and images[0].image.width >= 8 * 300  # drawn at 300 dpi
