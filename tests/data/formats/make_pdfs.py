"""Generate the PDF test files for tests/test_readers_pdf.py with reportlab (run once; the PDFs are kept).

Lines are placed by hand, not wrapped by platypus, so the line breaks the reader must join back (a word
hyphenated at a line end, a "10-15" range broken after its hyphen, a sentence running on to page 2) are exact.
`invariant=1` makes the files byte-for-byte reproducible.

    .venv/bin/python tests/data/formats/make_pdfs.py
"""
from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

HERE = Path(__file__).resolve().parent
WIDTH, HEIGHT = letter
LEFT = 72.0
CLINIC = "Riverside Physiotherapy"


class Page:
    """A canvas with a cursor that writes lines top-down."""

    def __init__(self, c: canvas.Canvas) -> None:
        self.c = c
        self.y = HEIGHT - 90

    def lines(self, texts: list[str], font: str = "Helvetica", size: float = 11, x: float = LEFT,
              after: float = 8, hang: float = 0) -> None:
        """Write `texts` as consecutive lines (the first at x, the rest at x + hang), then leave a gap."""
        self.c.setFont(font, size)
        for i, text in enumerate(texts):
            self.c.drawString(x + (hang if i else 0), self.y, text)
            self.y -= size * 1.3
        self.y -= after

    def gap(self, points: float) -> None:
        """Move the cursor down."""
        self.y -= points


def running(c: canvas.Canvas, number: int, total: int) -> None:
    """The running header and footer every page of the handout has."""
    c.setFont("Helvetica", 8)
    c.drawString(LEFT, HEIGHT - 40, f"{CLINIC} · Patient handout")
    c.drawString(LEFT, 40, f"{CLINIC}, 12 River Street, Springfield")
    c.drawRightString(WIDTH - LEFT, 40, f"Page {number} of {total}")


def handout() -> None:
    """Two pages: title, subtitle, headings, wrapped paragraphs, bullet and numbered lists, bold FAQ questions."""
    c = canvas.Canvas(str(HERE / "handout.pdf"), pagesize=letter, invariant=1)
    c.setAuthor(CLINIC)
    c.setSubject("After your first physiotherapy session")
    p = Page(c)
    running(c, 1, 2)
    p.lines(["After Your First Physiotherapy Session"], "Helvetica-Bold", 22, after=2)
    p.lines(["A guide for new patients of Riverside Physiotherapy"], "Helvetica-Oblique", 12, after=14)
    p.lines([
        "Most patients feel a little sore after their first session. This is normal and usually passes",
        "within a day or two. Your physio-",
        "therapist will explain which exercises to start with, and how often to do them at home.",
    ], after=12)
    p.lines(["What to expect in the first 48 hours"], "Helvetica-Bold", 15, after=4)
    p.lines([
        "Mild aching in the treated muscles is common and is a sign that they are adapting. Put a cold pack",
        "on the sore area for 10-",
        "15 minutes at a time, with a towel between the pack and your skin.",
    ])
    p.lines(["You can help your recovery if you:"], after=4)
    for item in (["• Drink plenty of water during the day."],
                 ["• Take a short, gentle walk every few hours instead of sitting still for a long time, and",
                  "stretch the way your physiotherapist showed you."],
                 ["• Sleep on a firm mattress with a pillow that supports your neck."]):
        p.lines(item, x=LEFT + 10, after=3, hang=9)
    p.gap(10)
    p.lines(["Your home exercises"], "Helvetica-Bold", 15, after=4)
    p.lines(["Do these exercises twice a day, slowly and without bouncing:"], after=4)
    for item in (["1. Shoulder rolls: ten rolls forwards, then ten backwards."],
                 ["2. Chin tucks: pull your chin straight back, hold for five seconds and relax. Repeat this",
                  "eight to ten times."],
                 ["3. Knee to chest: lie on your back and pull one knee gently towards your chest."]):
        p.lines(item, x=LEFT + 10, after=3, hang=14)
    p.gap(10)
    p.lines([
        "Stop any exercise that causes sharp pain. Keep doing your exercises until your follow-",
    ], after=0)
    c.showPage()

    p = Page(c)
    running(c, 2, 2)
    p.lines(["up appointment, even if you already feel better."], after=12)
    p.lines(["When to call us"], "Helvetica-Bold", 11, after=4)
    p.lines(["Call the clinic if you notice any of these:"], after=4)
    for item in (["- Pain that is getting worse after three days"],
                 ["- Numbness or tingling in your arms or legs"],
                 ["- Swelling, redness or warmth around a joint"]):
        p.lines(item, x=LEFT + 10, after=3, hang=8)
    p.gap(10)
    p.lines(["Can I exercise on the day of my session?"], "Helvetica-Bold", 11, after=4)
    p.lines(["Light activity such as walking is fine. Leave the gym and heavy lifting until the next day."])
    p.lines(["Should I use heat or ice?"], "Helvetica-Bold", 11, after=4)
    p.lines(["Use ice for the first two days, and a warm shower or heat pack after that."])
    c.save()


def memo() -> None:
    """One page, no large title (the metadata title names it), drawn-dot bullets, "1)" items, a lone page number."""
    c = canvas.Canvas(str(HERE / "memo.pdf"), pagesize=letter, invariant=1)
    c.setTitle("Holiday Opening Hours")
    p = Page(c)
    p.lines(["Our clinic keeps shorter hours over the holidays. Please book your sessions early."], after=10)
    c.setFont("Helvetica", 11)
    for text in ("Monday to Thursday: 9 am to 3 pm", "Friday: closed", "Weekends: closed"):
        c.circle(LEFT + 12, p.y + 3.5, 2, stroke=0, fill=1)
        p.lines([text], x=LEFT + 24, after=3)
    p.gap(10)
    p.lines(["To book online:"], after=4)
    for text in ("1) Open the booking page.", "2) Pick your physiotherapist and a time."):
        p.lines([text], x=LEFT + 10, after=3)
    c.setFont("Helvetica", 9)
    c.drawCentredString(WIDTH / 2, 40, "1")
    c.save()


def encrypted() -> None:
    """A user-password (RC4) encrypted PDF: it cannot be opened without the password."""
    c = canvas.Canvas(str(HERE / "encrypted.pdf"), pagesize=letter, invariant=1, encrypt="secret")
    c.setFont("Helvetica", 11)
    c.drawString(LEFT, HEIGHT - 90, "This text is behind a password.")
    c.save()


def scanned() -> None:
    """A page that is only a picture (an image and some shapes), as a scanner makes it: no text layer."""
    from reportlab.lib.utils import ImageReader
    from PIL import Image, ImageDraw

    image = Image.new("L", (300, 120), 255)
    ImageDraw.Draw(image).rectangle((20, 40, 280, 60), fill=0)  # a smudge where a line of print was
    c = canvas.Canvas(str(HERE / "scanned.pdf"), pagesize=letter, invariant=1)
    c.drawImage(ImageReader(image), LEFT, HEIGHT - 300, width=300, height=120)
    c.rect(LEFT, HEIGHT - 400, 200, 40, stroke=1, fill=0)
    c.circle(LEFT + 300, HEIGHT - 380, 20, stroke=1, fill=1)
    c.save()


if __name__ == "__main__":
    handout()
    memo()
    encrypted()
    scanned()
    print("wrote", ", ".join(sorted(p.name for p in HERE.glob("*.pdf"))))
