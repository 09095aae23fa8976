"""The document a model card export job writes: a one-page PDF 1.4 listing the card's name,
version, status and the top-level sections of its content.

It opens in any PDF reader, but it is not SageMaker's rendering of a card (AWS lays out every
section with its values); the local cloud writes it so the SDK's ``export_pdf`` and anything
that downloads the export find a real object where AWS would put one.
"""

from __future__ import annotations

import json


def _escape(text: str) -> str:
    printable = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    return printable.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def card_pdf(name: str, version: int, status: str, content: str | None) -> bytes:
    try:
        sections = sorted(json.loads(content or "{}"))
    except ValueError:
        sections = []
    lines = [
        f"Model card: {name}",
        f"Version: {version}",
        f"Status: {status}",
        "Sections: " + (", ".join(sections) or "(none)"),
        "Exported by the local cloud (not SageMaker's layout).",
    ]
    text = "BT /F1 11 Tf 72 760 Td 14 TL " + " ".join(f"({_escape(line)}) '" for line in lines) + " ET"
    stream = text.encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
