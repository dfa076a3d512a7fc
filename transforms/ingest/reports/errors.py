"""The two ways reading fails: a whole file refused, or one value cell that cannot be read."""

from __future__ import annotations

from transforms.catalog import TEMPLATE_VERSION


class ReportRejected(Exception):
    """A whole file is refused; the message says in both languages what to fix."""

    def __init__(self, reason_code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{reason_code}: {message_en}")
        self.reason_code = reason_code
        self.message_zh = message_zh
        self.message_en = message_en


class ValueProblem(Exception):
    """A value cell that cannot be read; carries the bilingual explanation of what is expected."""

    def __init__(self, reason_code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.reason_code, self.zh, self.en = reason_code, zh, en


def reject_unreadable(name: str, why_zh: str, why_en: str, code: str = "unreadable") -> ReportRejected:
    """A rejection for a file that cannot be read at all, with the advice to re-save it from the template."""
    return ReportRejected(
        code,
        f"无法读取文件“{name}”：{why_zh}。请用模板 {TEMPLATE_VERSION} 另存为 .xlsx、.csv(UTF-8) 或 .json 后重新报送。",
        f"cannot read file '{name}': {why_en}. Please save it from template {TEMPLATE_VERSION} as .xlsx, "
        f".csv (UTF-8) or .json and send it again.",
    )


def repeated_columns(name: str, sheet: str, row_number: int, labels: list[str]) -> ReportRejected:
    """Two code/value/status columns in one header: two blocks side by side, of which only one would be read."""
    shown = "、".join(labels)
    return ReportRejected(
        "repeated_columns",
        f"文件“{name}”工作表“{sheet}”第{row_number}行的表头有重复的列（{shown}），像是两份报表并排放在一张表中；"
        "一张表只能填一份报表。请分开后重新报送。",
        f"file '{name}', sheet '{sheet}', row {row_number}: the header repeats the column(s) {', '.join(labels)}, "
        "as if two reports stood side by side; only one would be read. Put one report per sheet and send it again.",
    )
