"""Planning and reading pages: limits, encrypted/corrupt files, text layers vs OCR, mixed PDFs."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from intake._exec import pdftext
from intake.config import Config
from intake.errors import FileRejected
from intake.pages import PageJob, decode_page, plan_pages, read_page

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract not installed")


def corpus_file(rel: str) -> Path:
    path = CORPUS / rel
    if not path.exists():
        pytest.skip(f"corpus file {rel} not available")
    return path


def scan_image(text: str, dpi: int = 200) -> Image.Image:
    px = round(12 / 72 * dpi)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(FONT, px)
    except OSError:
        font = ImageFont.load_default(size=px)
    img = Image.new("L", (int(6 * dpi), int(1.2 * dpi)), 255)
    ImageDraw.Draw(img).text((dpi // 4, dpi // 3), text, font=font, fill=0)
    return img


def scanned_sheet(text: str, dpi: int = 150) -> Image.Image:
    """A letter-size scanned sheet with one line of text near the top."""
    sheet = Image.new("L", (int(8.5 * dpi), 11 * dpi), 255)
    sheet.paste(scan_image(text, dpi), (0, dpi))
    return sheet


def mixed_pdf(path: Path) -> Path:
    """Page 1: digital text; page 2: a scanned image only; page 3: a scan + stamped header."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(612, 792))
    c.setFont("Helvetica", 12)
    c.drawString(72, 700, "Patient: John Smith  DOB: 03/04/1957  MRN: CF123456")
    c.drawString(72, 680, "Date of Service: 11/14/2026. The patient was seen for follow up.")
    c.showPage()
    for stamp in (False, True):
        buf = io.BytesIO()
        scanned_sheet("Scanned referral for Maria Gonzalez").save(buf, "PNG")
        c.drawImage(ImageReader(io.BytesIO(buf.getvalue())), 0, 0, 612, 792)
        if stamp:
            c.setFont("Helvetica", 8)
            c.drawString(20, 780, "NOV-21-2026 10:42 FROM: VALLEY P.3/3")
        c.showPage()
    c.save()
    return path


@pytest.fixture(scope="module")
def cfg() -> Config:
    return Config()


# ---------------------------------------------------------------- PDFs
def test_mixed_pdf_plans_per_page(tmp_path: Path, cfg: Config) -> None:
    jobs = plan_pages(mixed_pdf(tmp_path / "mixed.pdf"), "pdf", cfg)
    assert [j.number for j in jobs] == [1, 2, 3]
    assert jobs[0].text_layer is not None and "CF123456" in jobs[0].text_layer
    assert jobs[1].text_layer is None and jobs[2].text_layer is None
    assert jobs[2].note and "stamped header" in jobs[2].note


def test_text_layer_page_is_not_ocred(tmp_path: Path, cfg: Config) -> None:
    job = plan_pages(mixed_pdf(tmp_path / "mixed.pdf"), "pdf", cfg)[0]
    page = read_page(job, cfg)
    assert page.source == "text_layer" and "John Smith" in page.text


@needs_tesseract
def test_scanned_pdf_page_is_ocred(tmp_path: Path, cfg: Config) -> None:
    job = plan_pages(mixed_pdf(tmp_path / "mixed.pdf"), "pdf", cfg)[1]
    page = read_page(job, cfg)
    assert page.source == "ocr" and "Gonzalez" in page.text and page.number == 2


@pytest.mark.parametrize("name", [
    "paperless_password-is-test.pdf", "pypdf_r6-user-password.pdf", "pdfminer_rc4-40.pdf",
    "paperless_encrypted_unknown-password.pdf", "qpdf_bad-encryption-length.pdf",
    "samplefiles_libreoffice-writer-password.pdf",
])
def test_password_protected_pdf_rejected(cfg: Config, name: str) -> None:
    with pytest.raises(FileRejected, match="password"):
        plan_pages(corpus_file(f"pdf-odd/encrypted/{name}"), "pdf", cfg)


def test_permissions_only_encryption_is_readable(cfg: Config) -> None:
    jobs = plan_pages(corpus_file("pdf-odd/encrypted/pypdf_r4-owner-password.pdf"), "pdf", cfg)
    assert len(jobs) == 1


@pytest.mark.parametrize("name", ["pdfplumber_empty.pdf", "qpdf_bad1.pdf", "ocrmypdf_invalid.pdf",
                                  "qpdf_issue-335b.pdf"])
def test_corrupt_pdf_rejected(cfg: Config, name: str) -> None:
    with pytest.raises(FileRejected):
        plan_pages(corpus_file(f"pdf-odd/malformed/{name}"), "pdf", cfg)


def test_truncated_pdf_rejected(tmp_path: Path, cfg: Config) -> None:
    good = mixed_pdf(tmp_path / "good.pdf").read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(good[: len(good) // 3])
    with pytest.raises(FileRejected):
        plan_pages(cut, "pdf", cfg)


def test_too_many_pdf_pages_rejected(tmp_path: Path) -> None:
    cfg = Config()
    cfg.intake.max_pages = 2
    with pytest.raises(FileRejected, match="3 pages; the limit is 2"):
        plan_pages(mixed_pdf(tmp_path / "m.pdf"), "pdf", cfg)


def test_garbage_ocr_layer_is_reocred(cfg: Config) -> None:
    jobs = plan_pages(corpus_file("scanned/unstructured_pdf-with-ocr-text_bad-ocr-layer.pdf"), "pdf", cfg)
    assert jobs[0].text_layer is None and "garbage" in (jobs[0].note or "")


def test_good_ocr_layer_is_used(cfg: Config) -> None:
    jobs = plan_pages(corpus_file("scanned/pypdf_Seige_of_Vicksburg_Sample_OCR.pdf"), "pdf", cfg)
    assert all(j.text_layer for j in jobs)


def test_unmapped_font_text_layer_is_ocred(cfg: Config) -> None:
    for name in ("ocrmypdf_type3_font_nomapping.pdf", "ocrmypdf_truetype_font_nomapping.pdf"):
        jobs = plan_pages(corpus_file(f"pdf-odd/text-layer/{name}"), "pdf", cfg)
        assert jobs[0].text_layer is None, name


def test_corpus_mixed_pdf(cfg: Config) -> None:
    jobs = plan_pages(corpus_file("pdf-odd/text-layer/paperless_multi-page-mixed.pdf"), "pdf", cfg)
    assert [j.text_layer is not None for j in jobs] == [False, False, False, True, True, True]


def test_scanned_page_rendered_near_native_resolution(cfg: Config) -> None:
    jobs = plan_pages(corpus_file("scanned/paperless_barcode-fax-image.pdf"), "pdf", cfg)
    assert jobs[0].render_dpi is not None and 280 <= jobs[0].render_dpi <= 320
    image, dpi = decode_page(jobs[0], cfg)
    assert image.mode == "L" and dpi is not None and image.width > 2000


def test_pdf_inspection_reports_invisible_text() -> None:
    info = pdftext.inspect_pdf(corpus_file("pdf-odd/text-layer/docling_invisible_text_layer.pdf"), 10)
    assert info.pages[0].invisible_text_objects >= 1


# ---------------------------------------------------------------- images
def test_multipage_tiff_reads_one_frame(tmp_path: Path, cfg: Config) -> None:
    frames = [scan_image(f"Page {i}").convert("1") for i in (1, 2, 3)]
    path = tmp_path / "fax.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="group4",
                   dpi=(204, 196))
    jobs = plan_pages(path, "tiff", cfg)
    assert [j.number for j in jobs] == [1, 2, 3] and all(j.text_layer is None for j in jobs)
    image, dpi = decode_page(jobs[1], cfg)
    assert dpi == (204.0, 196.0) and image.size == frames[1].size


def test_too_many_tiff_frames_rejected(tmp_path: Path) -> None:
    cfg = Config()
    cfg.intake.max_pages = 2
    frames = [Image.new("1", (50, 50), 1) for _ in range(3)]
    path = tmp_path / "many.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.raises(FileRejected, match="limit is 2"):
        plan_pages(path, "tiff", cfg)


def test_decompression_bomb_rejected(tmp_path: Path) -> None:
    cfg = Config()
    cfg.intake.max_page_pixels = 10_000
    path = tmp_path / "big.png"
    Image.new("1", (200, 100), 1).save(path)
    with pytest.raises(FileRejected, match="too large"):
        plan_pages(path, "png", cfg)


def test_corrupt_images_rejected(tmp_path: Path, cfg: Config) -> None:
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"II*\x00garbage")
    with pytest.raises(FileRejected):
        plan_pages(bad, "tiff", cfg)
    for name in ("pillow_seek_too_large.tif", "pillow_oom-225817ca0f8c663be7ab4b9e717b02c661e66834.tif"):
        with pytest.raises(FileRejected):
            plan_pages(corpus_file(f"images-odd/{name}"), "tiff", cfg)


def test_undecodable_frame_raises_file_rejected(cfg: Config) -> None:
    path = corpus_file("images-odd/pillow_crash-86214e58da443d2b80820cff9677a38a33dcbbca.tif")
    jobs = plan_pages(path, "tiff", cfg)
    with pytest.raises(FileRejected, match="damaged"):
        decode_page(jobs[0], cfg)


def test_tiff_orientation_tag_is_honoured(cfg: Config) -> None:
    path = corpus_file("images-odd/pillow_g4_orientation_6.tif")
    image, _ = decode_page(PageJob(str(path), "tiff", 1, None), cfg)
    assert image.size == (88, 590)


def test_unknown_kind_rejected(tmp_path: Path, cfg: Config) -> None:
    path = tmp_path / "x.docx"
    path.write_bytes(b"PK")
    with pytest.raises(FileRejected):
        plan_pages(path, "docx", cfg)


@needs_tesseract
def test_read_page_of_fax_tiff(tmp_path: Path, cfg: Config) -> None:
    path = tmp_path / "one.tif"
    scan_image("Patient: John Smith").convert("1").save(path, compression="group4", dpi=(200, 200))
    page = read_page(plan_pages(path, "tiff", cfg)[0], cfg)
    assert page.source == "ocr" and "Smith" in page.text and page.seconds > 0


def test_fine_fax_pdf_renders_at_its_finer_axis_and_stays_black_and_white(tmp_path: Path, cfg: Config) -> None:
    """A 204x196 CCITT page (as fax servers write them) renders 1:1 across, without smoothing."""
    sheet = scan_image("Patient: John Smith  DOB: 03/04/1957", dpi=204).convert("1")
    sheet = sheet.resize((sheet.width, sheet.height * 196 // 204))
    path = tmp_path / "fax.pdf"
    sheet.save(path, "PDF", dpi=(204, 196))
    info = pdftext.inspect_pdf(path, 10).pages[0]
    assert info.native_dpi is not None and abs(info.native_dpi - 204) < 1
    job = plan_pages(path, "pdf", cfg)[0]
    assert job.text_layer is None and job.crisp
    image, _dpi = decode_page(job, cfg)
    histogram = image.histogram()
    assert abs(image.width - sheet.width) <= 1 and not any(histogram[1:255])
