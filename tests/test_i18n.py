"""Translations cannot rot: changed English marks its translation stale, stale text is not shown,
placeholders (where measured numbers go) survive translation, and status reports what is left."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PAGES_PO = Path(__file__).resolve().parent.parent / "refmap" / "locale" / "zh_CN" / "pages.po"


def test_page_phrases_keep_their_placeholders():
    cat = read_po(PAGES_PO.open("rb"))
    for m in cat:
        if m.id and m.string:
            assert sorted(re.findall(r"%\((\w+)\)s", m.id)) == sorted(re.findall(r"%\((\w+)\)s", m.string)), m.id
            assert not re.search(r"\d\.\d", str(m.id)), f"a number inside a message: {m.id}"


def refmap(kb: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "refmap", "--kb", str(kb), "i18n", *args], capture_output=True, text=True
    )


def translate_all(po: Path, suffix: str = "（译）") -> None:
    cat = read_po(po.open("rb"), locale="zh_CN")
    for m in cat:
        if m.id:
            m.string = f"{m.id}{suffix}"
            m.flags.discard("fuzzy")
    with po.open("wb") as f:
        write_po(f, cat, width=0)


def test_a_changed_sentence_turns_its_translation_stale(kb: Path):
    assert refmap(kb, "update").returncode == 0
    po = kb / "locale" / "zh_CN" / "sgd-small.po"
    translate_all(po)
    status = refmap(kb, "status", "--entry", "sgd-small")
    assert "sgd-small.po" not in status.stdout  # nothing left for this entry
    path = kb / "optimizers" / "sgd_small.yaml"
    path.write_text(
        path.read_text().replace(
            "Nesterov on one side only changes the numbers.", "Nesterov on one side changes the numbers."
        )
    )
    assert refmap(kb, "update").returncode == 0
    status = refmap(kb, "status", "--entry", "sgd-small")
    assert status.returncode == 1
    assert "sgd-small.po: 0 untranslated, 1 stale" in status.stdout
    assert "stale: Nesterov on one side changes the numbers." in status.stdout


def test_pages_render_translations_and_fall_back_to_english_when_stale(fabricated_kb: Path):
    from refmap.render.i18n import Translator

    assert refmap(fabricated_kb, "update").returncode == 0
    translate_all(fabricated_kb / "locale" / "zh_CN" / "sgd-small.po")
    t = Translator("zh_CN", fabricated_kb)
    tr = t.for_entry("sgd-small")
    assert (
        tr("Nesterov on one side only changes the numbers.") == "Nesterov on one side only changes the numbers.（译）"
    )
    assert t.gettext("Translation") == "迁移写法"
    po = fabricated_kb / "locale" / "zh_CN" / "sgd-small.po"
    cat = read_po(po.open("rb"), locale="zh_CN")
    cat["Nesterov on one side only changes the numbers."].flags.add("fuzzy")
    with po.open("wb") as f:
        write_po(f, cat, width=0)
    t2 = Translator("zh_CN", fabricated_kb)
    assert (
        t2.for_entry("sgd-small")("Nesterov on one side only changes the numbers.")
        == "Nesterov on one side only changes the numbers."
    )
    assert t2.usage.stale == {("sgd-small", "Nesterov on one side only changes the numbers.")}
