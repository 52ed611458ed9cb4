"""Writes the Word test articles next to this script with python-docx; run it again after changing them.

new-patients.docx: a Title, Heading 1 and 2 sections, a lead-in with a bulleted list, a numbered list, a fee
table with a bold header row and a caption, a bold FAQ question over its answer, and a header and footer.
clinic-hours.docx: what Word documents do beyond that: a first Heading 1 as the only title, a heading style
based on Heading 2, list items numbered by direct numbering properties, merged table cells, an unformatted
header row, a content control, tracked changes, a hyperlink, a text box, a line break and a tab.
"""
from __future__ import annotations

from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.table import _Row

HERE = Path(__file__).resolve().parent


def bold_row(cells: list[str], row: _Row) -> None:
    """Write `cells` into a table row as bold text."""
    for cell, text in zip(row.cells, cells, strict=True):
        cell.paragraphs[0].add_run(text).bold = True


def new_patients() -> docx.document.Document:
    """The article the tests read section by section."""
    doc = docx.Document()
    doc.core_properties.title = "Harbour Dental new patient pack"  # the Title paragraph wins over this
    doc.sections[0].header.paragraphs[0].text = "Harbour Dental | 12 Quay Street | HEADER-TEXT"
    doc.sections[0].footer.paragraphs[0].text = "Page 1 FOOTER-TEXT"
    doc.add_paragraph("Welcome to Harbour Dental", style="Title")
    doc.add_paragraph("We are glad you chose us. This page explains your first visit.")
    doc.add_heading("Your first visit", level=1)
    doc.add_paragraph("Please bring the following:")
    for item in ("Photo ID", "Your insurance card", "A list of your medicines"):
        doc.add_paragraph(item, style="List Bullet")
    doc.add_heading("Checking in", level=2)
    doc.add_paragraph("When you arrive, the front desk will:")
    for item in ("Confirm your details", "Scan your insurance card", "Show you to the waiting room"):
        doc.add_paragraph(item, style="List Number")
    line = doc.add_paragraph("Parking is free behind the building.")
    line.add_run().add_break()
    line.add_run("Bikes can be locked at the front.\tAsk us for a lock.")
    doc.add_heading("Fees", level=1)
    doc.add_paragraph("Table 1: Fees for common services", style="Caption")
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    bold_row(["Service", "Fee", "Notes"], table.rows[0])
    for service, fee, notes in (("Check-up and cleaning", "$180", "Includes x-rays once a year."),
                                ("Filling", "from $150", "Depends on the size."),
                                ("", "", "")):  # an empty row, to be skipped
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = service, fee, notes
    doc.add_paragraph("Prices include tax.")
    doc.add_heading("Questions", level=1)
    doc.add_paragraph("What new patients ask us most:")
    doc.add_paragraph().add_run("Do you see emergency patients?").bold = True
    doc.add_paragraph("Yes. Call us before 10 am and we will see you the same day.")
    doc.add_paragraph().add_run("Can I pay in instalments?").bold = True
    doc.add_paragraph("Yes, for treatment over $1,000.")
    return doc


def _body_xml(doc: docx.document.Document, xml: str) -> None:
    """Append raw body XML (a content control, tracked changes) before the section properties."""
    doc.element.body.sectPr.addprevious(parse_xml(xml))


def clinic_hours() -> docx.document.Document:
    """The article that exercises Word's other ways of writing the same shapes."""
    doc = docx.Document()
    doc.sections[0].footer.paragraphs[0].text = "FOOTER-TEXT"
    doc.add_heading("Clinic Hours and Contact", level=1)
    doc.add_paragraph("We are open six days a week.")
    custom = doc.styles.add_style("Clinic Subheading", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = doc.styles["Heading 2"]
    doc.add_paragraph("Opening hours", style=custom)
    table = doc.add_table(rows=4, cols=3)
    for row, cells in zip(table.rows, (("Day", "Opens", "Closes"), ("Monday to Friday", "8 am", "6 pm"),
                                       ("Saturday", "9 am", "1 pm"), ("Sunday", "Closed", "")), strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    table.cell(3, 1).merge(table.cell(3, 2))  # "Closed" spans both columns
    doc.add_paragraph("How to find us", style=custom)
    doc.add_paragraph("Take these steps:")
    bullet_num_id = doc.styles["List Bullet"].element.pPr.numPr.numId.val
    for step in ("Take the 14 bus to Quay Street", "Walk past the library", "Ring the bell at number 12"):
        paragraph = doc.add_paragraph(step)  # Normal style, numbered by its own properties
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="{bullet_num_id}"/></w:numPr>'))
    doc.add_paragraph("Merged cells", style=custom)
    merged = doc.add_table(rows=3, cols=2)
    for row, pair in zip(merged.rows, (("Dr Lee", "Mondays and Tuesdays"), ("", "Wednesdays"),
                                       ("", "Thursday mornings")), strict=True):
        for cell, text in zip(row.cells, pair, strict=True):
            cell.text = text
    merged.cell(1, 0).merge(merged.cell(2, 0)).text = "Dr Patel"  # once, over two rows
    _body_xml(doc, f'<w:sdt {nsdecls("w")}><w:sdtPr><w:alias w:val="Notice"/></w:sdtPr><w:sdtContent>'
                   "<w:p><w:r><w:t>Holiday hours are posted in December.</w:t></w:r></w:p></w:sdtContent></w:sdt>")
    _body_xml(doc, f'<w:p {nsdecls("w", "r")}><w:r><w:t xml:space="preserve">Call us on </w:t></w:r>'
                   '<w:del w:id="1" w:author="a"><w:r><w:delText>555 0000 OLD-NUMBER</w:delText></w:r></w:del>'
                   '<w:ins w:id="2" w:author="a"><w:r><w:t>555 0199</w:t></w:r></w:ins>'
                   '<w:r><w:t xml:space="preserve"> or visit </w:t></w:r><w:hyperlink w:history="1">'
                   "<w:r><w:t>our website</w:t></w:r></w:hyperlink><w:r><w:t>.</w:t></w:r></w:p>")
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    _body_xml(doc, f'<w:p {nsdecls("w")} {mc}><w:r><mc:AlternateContent><mc:Choice Requires="wps">'
                   "<w:drawing><w:txbxContent><w:p><w:r><w:t>Wheelchair access at the side door.</w:t></w:r></w:p>"
                   "</w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r>"
                   "<w:t>Wheelchair access at the side door.</w:t></w:r></w:p></w:txbxContent></w:pict>"
                   "</mc:Fallback></mc:AlternateContent></w:r></w:p>")
    return doc


def main() -> None:
    """Write the test documents."""
    for name, make in (("new-patients.docx", new_patients), ("clinic-hours.docx", clinic_hours)):
        make().save(str(HERE / name))
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
