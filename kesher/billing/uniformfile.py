"""The Tax Authority's uniform file (מבנה אחיד, version 1.31) of a period's documents (issue 17
item 5; decision 0084): ``INI.TXT`` (the A000 record and the count of each record type) and
``BKMVDATA.TXT`` (A100, then C100 per document, D110 per line, D120 per payment, then Z900), in
fixed-width records ending CRLF, in ISO-8859-8 (Hebrew, logical order; field 1029 = 1), inside the
folder the instructions name (``OPENFRMT/<dealer 8 digits>.<yy>/<MMDDhhmm>/``), zipped.

Kesher is document-issuing software, not a ledger: it writes the document records (C100, D110,
D120) and none of the bookkeeping ones (B100, B110 journal and accounts, M100 stock), and says so
in A000 (bookkeeping type 0, no balance required). Field widths follow the published 1.31 tables;
``parse`` reads a file back by the same layouts, which is how the tests check it.

Numbers: ``N`` fields right-aligned and zero-padded; amounts a sign and digits without the
decimal point (two implied decimals; quantities four); text left-aligned, space-padded, cut to
its width.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from kesher.billing.models import INVOICES, DocumentKind, Payment, TaxDocument

__all__ = ["LAYOUTS", "UniformFile", "build", "of_company", "parse"]

SYSTEM_CONSTANT = "&OF1.31&"
ENCODING = "iso8859_8"
CRLF = "\r\n"

# (name, kind, width): X text, N whole number, S signed amount (2 decimals), Q signed quantity
# (4 decimals), R a rate in hundredths (18% → 1800).
A000 = (
    ("code", "X", 4),
    ("reserved", "X", 5),
    ("records", "N", 15),
    ("vat_number", "N", 9),
    ("main_id", "N", 15),
    ("constant", "X", 8),
    ("software_number", "N", 8),
    ("software_name", "X", 20),
    ("software_version", "X", 20),
    ("maker_vat_number", "N", 9),
    ("maker_name", "X", 20),
    ("software_type", "N", 1),  # 2: several tax years
    ("save_path", "X", 50),
    ("bookkeeping_type", "N", 1),  # 0: no ledger (documents only)
    ("balance_required", "N", 1),
    ("company_number", "N", 9),
    ("deductions_file", "N", 9),
    ("reserved2", "X", 10),
    ("business_name", "X", 50),
    ("street", "X", 50),
    ("house_number", "X", 10),
    ("city", "X", 30),
    ("zip", "X", 8),
    ("tax_year", "N", 4),
    ("start", "N", 8),
    ("end", "N", 8),
    ("process_date", "N", 8),
    ("process_time", "N", 4),
    ("language", "N", 1),  # 0 Hebrew
    ("charset", "N", 1),  # 1 ISO-8859-8-i
    ("compression", "X", 20),
    ("currency", "X", 3),
    ("branches", "N", 1),
    ("reserved3", "X", 46),
)
A100 = (
    ("code", "X", 4),
    ("record", "N", 9),
    ("vat_number", "N", 9),
    ("main_id", "N", 15),
    ("constant", "X", 8),
    ("reserved", "X", 50),
)
C100 = (
    ("code", "X", 4),
    ("record", "N", 9),
    ("vat_number", "N", 9),
    ("doc_type", "N", 3),
    ("doc_number", "X", 20),
    ("issue_date", "N", 8),
    ("issue_time", "N", 4),
    ("customer_name", "X", 50),
    ("customer_street", "X", 50),
    ("customer_house", "X", 10),
    ("customer_city", "X", 30),
    ("customer_zip", "X", 8),
    ("customer_country", "X", 30),
    ("customer_country_code", "X", 2),
    ("customer_phone", "X", 15),
    ("customer_vat_number", "N", 9),
    ("value_date", "N", 8),
    ("foreign_total", "S", 15),
    ("currency", "X", 3),
    ("before_discount", "S", 15),
    ("discount", "S", 15),
    ("net", "S", 15),
    ("vat", "S", 15),
    ("total", "S", 15),
    ("withholding", "S", 12),
    ("customer_key", "X", 15),
    ("matching", "X", 10),
    ("cancelled_1", "X", 8),
    ("cancelled", "X", 1),
    ("cancelled_2", "X", 8),
    ("doc_date", "N", 7),
    ("branch", "X", 8),
    ("cancelled_3", "X", 1),
    ("executor", "X", 13),
)
D110 = (
    ("code", "X", 4),
    ("record", "N", 9),
    ("vat_number", "N", 9),
    ("doc_type", "N", 3),
    ("doc_number", "X", 20),
    ("line", "N", 4),
    ("base_doc_type", "N", 3),
    ("base_doc_number", "X", 20),
    ("deal_type", "N", 1),  # 1 goods
    ("internal_key", "X", 20),
    ("description", "X", 30),
    ("maker_name", "X", 50),
    ("maker_serial", "X", 30),
    ("unit", "X", 20),
    ("quantity", "Q", 17),
    ("unit_price", "S", 15),
    ("line_discount", "S", 15),
    ("line_total", "S", 15),
    ("vat_rate", "R", 4),
    ("branch", "X", 7),
    ("doc_date", "N", 8),
    ("header_link", "N", 7),
    ("base_branch", "X", 7),
    ("reserved", "X", 21),
)
D120 = (
    ("code", "X", 4),
    ("record", "N", 9),
    ("vat_number", "N", 9),
    ("doc_type", "N", 3),
    ("doc_number", "X", 20),
    ("line", "N", 4),
    ("method", "N", 1),
    ("bank", "N", 10),
    ("branch", "N", 10),
    ("account", "N", 15),
    ("cheque", "N", 10),
    ("due_date", "N", 8),
    ("amount", "S", 15),
    ("acquirer", "N", 1),
    ("card_brand", "X", 20),
    ("card_deal", "N", 1),
    ("branch_id", "X", 7),
    ("doc_date", "N", 8),
    ("header_link", "N", 7),
    ("reserved", "X", 60),
)
Z900 = (
    ("code", "X", 4),
    ("record", "N", 9),
    ("vat_number", "N", 9),
    ("main_id", "N", 15),
    ("constant", "X", 8),
    ("records", "N", 15),
    ("reserved", "X", 50),
)
LAYOUTS = {"A000": A000, "A100": A100, "C100": C100, "D110": D110, "D120": D120, "Z900": Z900}

# Document-type codes of the uniform file's appendix (a proforma is a transaction account, 300).
DOC_TYPES = {
    DocumentKind.DELIVERY_NOTE: 200,
    DocumentKind.PROFORMA: 300,
    DocumentKind.INVOICE: 300,
    DocumentKind.TAX_INVOICE: 305,
    DocumentKind.TAX_INVOICE_RECEIPT: 320,
    DocumentKind.CREDIT_NOTE: 330,
    DocumentKind.RECEIPT: 400,
}
METHODS = {
    Payment.Method.CASH: 1,
    Payment.Method.CHEQUE: 2,
    Payment.Method.CREDIT_CARD: 3,
    Payment.Method.TRANSFER: 4,
}
TO_LATIN = str.maketrans({"״": '"', "׳": "'", "–": "-", "—": "-", "₪": " "})


def _digits(text) -> str:
    return "".join(ch for ch in str(text or "") if ch.isdigit())


def _cell(value, kind: str, width: int) -> str:
    if kind == "X":
        text = " ".join(str(value or "").translate(TO_LATIN).split())
        return text[:width].ljust(width)
    if kind == "N":
        digits = _digits(value)[-width:] if value not in (None, "") else ""
        return digits.rjust(width, "0") if digits else "0" * width
    places = {"S": 2, "Q": 4, "R": 2}[kind]
    amount = Decimal(value or 0).quantize(Decimal(1) / 10**places, rounding=ROUND_HALF_UP)
    whole = str(abs(int(amount * 10**places)))
    if kind == "R":
        return whole.rjust(width, "0")[-width:]
    sign = "-" if amount < 0 else "+"
    return sign + whole.rjust(width - 1, "0")[-(width - 1) :]


def record(layout, values: dict) -> str:
    line = "".join(_cell(values.get(name), kind, width) for name, kind, width in layout)
    if len(line) != sum(width for _n, _k, width in layout):
        raise ValueError("a record's cells do not fill its layout")
    return line


def _read_cell(text: str, kind: str):
    if kind == "X":
        return text.rstrip()
    if kind == "N":
        return int(text) if text.strip() else 0
    places = {"S": 2, "Q": 4, "R": 2}[kind]
    return Decimal(text) / 10**places


def parse(data: bytes) -> list[dict]:
    """Read a BKMVDATA or INI file back: one dict per record by its code's layout (the INI's
    count lines as ``{"code", "count"}``)."""
    rows = []
    for raw in data.decode(ENCODING).split(CRLF):
        if not raw:
            continue
        code = raw[:4]
        layout = LAYOUTS.get(code)
        if layout is None or (code != "A000" and len(raw) == 19):
            rows.append({"code": code, "count": int(raw[4:19]), "length": len(raw)})
            continue
        values: dict = {"length": len(raw)}
        position = 0
        for name, kind, width in layout:
            values[name] = _read_cell(raw[position : position + width], kind)
            position += width
        rows.append(values)
    return rows


@dataclass(frozen=True)
class UniformFile:
    ini: bytes
    data: bytes
    folder: str
    counts: dict

    def zipped(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{self.folder}/INI.TXT", self.ini)
            archive.writestr(f"{self.folder}/BKMVDATA.TXT", self.data)
        return buffer.getvalue()


def _config() -> dict:
    given = getattr(settings, "KESHER_UNIFORM_FILE", {}) or {}
    return {
        "SOFTWARE_NUMBER": settings.KESHER_TAX_AUTHORITY.get("SOFTWARE_NUMBER", ""),
        "SOFTWARE_NAME": "Kesher CRM",
        "SOFTWARE_VERSION": "1",
        "MAKER_VAT_NUMBER": "",
        "MAKER_NAME": "Kesher",
        **given,
    }


def build(company, user, start: datetime.date, end: datetime.date, now=None) -> UniformFile:
    """The uniform file of ``company``'s issued documents dated ``start``..``end`` that
    ``user`` may see."""
    from kesher.billing.exports import period_documents

    now = timezone.localtime(now or timezone.now())
    config = _config()
    vat = _digits(company.company_number)[-9:]
    main_id = int(now.strftime("%y%m%d%H%M%S") + "000")
    common = {"vat_number": vat}
    documents = list(
        period_documents(user, start, end)
        .filter(of_company(company))
        .prefetch_related("lines", "payments")
    )
    lines: list[str] = []
    counts = {"A100": 1, "C100": 0, "D110": 0, "D120": 0, "Z900": 1}
    number = 1
    lines.append(
        record(
            A100,
            {
                **common,
                "code": "A100",
                "record": number,
                "main_id": main_id,
                "constant": SYSTEM_CONSTANT,
            },
        )
    )
    for doc in documents:
        doc_type = DOC_TYPES[doc.kind]
        day = f"{doc.doc_date:%Y%m%d}"
        issued = timezone.localtime(doc.issued_at) if doc.issued_at else now
        base = {**common, "doc_type": doc_type, "doc_number": doc.number}
        number += 1
        counts["C100"] += 1
        foreign = doc.currency != "ILS"
        account = doc.account
        lines.append(
            record(
                C100,
                {
                    **base,
                    "code": "C100",
                    "record": number,
                    "issue_date": day,
                    "issue_time": f"{issued:%H%M}",
                    "customer_name": account.name,
                    "customer_street": account.street,
                    "customer_city": account.city,
                    "customer_phone": account.phone,
                    "customer_vat_number": account.company_number,
                    "value_date": f"{doc.due_date:%Y%m%d}" if doc.due_date else "",
                    "foreign_total": doc.total if foreign else 0,
                    "currency": doc.currency if foreign else "",
                    "before_discount": _ils(doc.gross, doc),
                    "discount": _ils(doc.discount, doc),
                    "net": doc.net_ils,
                    "vat": doc.vat_ils,
                    "total": doc.total_ils,
                    "withholding": _ils(doc.withholding, doc),
                    "customer_key": account.pk,
                    "cancelled": "1" if doc.status == TaxDocument.Status.CANCELLED else "",
                },
            )
        )
        base_type = DOC_TYPES.get(doc.based_on.kind, 0) if doc.based_on_id else 0
        base_number = doc.based_on.number if doc.based_on_id else ""
        for line in doc.lines.all():
            number += 1
            counts["D110"] += 1
            lines.append(
                record(
                    D110,
                    {
                        **base,
                        "code": "D110",
                        "record": number,
                        "line": line.position,
                        "base_doc_type": base_type,
                        "base_doc_number": base_number,
                        "deal_type": 1,
                        "internal_key": line.sku,
                        "description": line.name,
                        "quantity": line.quantity,
                        "unit_price": _ils(line.unit_price, doc),
                        "line_discount": _ils(line.discount, doc),
                        "line_total": line.net_ils,
                        "vat_rate": line.vat_rate,
                        "doc_date": day,
                    },
                )
            )
        if doc.kind in (DocumentKind.RECEIPT, *INVOICES):
            for payment in doc.payments.all():
                number += 1
                counts["D120"] += 1
                lines.append(
                    record(
                        D120,
                        {
                            **base,
                            "code": "D120",
                            "record": number,
                            "line": payment.position,
                            "method": METHODS.get(payment.method, 9),
                            "bank": payment.bank,
                            "branch": payment.branch,
                            "account": payment.bank_account,
                            "cheque": payment.cheque_number,
                            "due_date": f"{payment.paid_on:%Y%m%d}",
                            "amount": _ils(payment.amount, doc),
                            "doc_date": day,
                        },
                    )
                )
    number += 1
    lines.append(
        record(
            Z900,
            {
                **common,
                "code": "Z900",
                "record": number,
                "main_id": main_id,
                "constant": SYSTEM_CONSTANT,
                "records": number,
            },
        )
    )
    data = (CRLF.join(lines) + CRLF).encode(ENCODING, errors="replace")
    folder = f"OPENFRMT/{vat[:8]}.{now:%y}/{now:%m%d%H%M}"
    head = record(
        A000,
        {
            **common,
            "code": "A000",
            "records": number,
            "main_id": main_id,
            "constant": SYSTEM_CONSTANT,
            "software_number": config["SOFTWARE_NUMBER"],
            "software_name": config["SOFTWARE_NAME"],
            "software_version": config["SOFTWARE_VERSION"],
            "maker_vat_number": config["MAKER_VAT_NUMBER"],
            "maker_name": config["MAKER_NAME"],
            "software_type": 2,
            "save_path": folder,
            "bookkeeping_type": 0,
            "balance_required": 0,
            "business_name": company.name,
            "street": company.address,
            "tax_year": start.year if start.year == end.year else "",
            "start": f"{start:%Y%m%d}",
            "end": f"{end:%Y%m%d}",
            "process_date": f"{now:%Y%m%d}",
            "process_time": f"{now:%H%M}",
            "language": 0,
            "charset": 1,
            "compression": "zip",
            "currency": "ILS",
            "branches": 0,
        },
    )
    summary = [f"{code}{count:015d}" for code, count in counts.items()]
    ini = (CRLF.join([head, *summary]) + CRLF).encode(ENCODING, errors="replace")
    return UniformFile(ini=ini, data=data, folder=folder, counts=counts)


def of_company(company) -> Q:
    """The company's documents; a document naming no company is the first company's (an
    organization of one company leaves it empty)."""
    from kesher.billing.exports import company_of

    condition = Q(company=company)
    if company_of(None).pk == company.pk:
        condition |= Q(company__isnull=True)
    return condition


def _ils(amount, doc: TaxDocument) -> Decimal:
    return (Decimal(amount or 0) * doc.exchange_rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
