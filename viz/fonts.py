"""A Chinese font for the page, served with the page itself (no CDN, no system font).

County machines often have no CJK font, and then Chromium draws boxes. The page
embeds a subset of Noto Sans CJK SC (from the ``mplfonts`` package, see
``abm.plots.cjk_font_path``) holding every character of the catalogs in
``abm/locales`` plus the preset names, as a WOFF data URL in a ``@font-face``
rule named ``AbmCJK``; the page and the ECharts canvases list it as a fallback.
Subsetting takes a few seconds once per server process.
"""

from __future__ import annotations

import base64
import io
from functools import cache

from abm.i18n import LOCALES
from abm.plots import cjk_font_path

FAMILY = "AbmCJK"
# Punctuation and digits the page writes around catalog texts.
EXTRA = "万亿元个百分点0123456789,.:;!?%()[]-+/×·—–…“”‘’、，。：；！？（）【】《》〔〕±≥≤→↑↓"


def page_characters(extra: str = "") -> str:
    """Every character the page may write in Chinese: the catalogs and ``extra``."""
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(LOCALES.glob("*.yaml")))
    ascii_ = "".join(chr(i) for i in range(32, 127))
    return "".join(sorted(set(text + ascii_ + EXTRA + extra)))


@cache
def font_bytes(characters: str) -> bytes:
    """The WOFF subset of Noto Sans CJK SC with ``characters``."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(cjk_font_path()))
    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = ["*"]
    sub = subset.Subsetter(opts)
    sub.populate(text=characters)
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


@cache
def font_css(extra: str = "") -> str:
    """``@font-face`` for ``AbmCJK`` and the page's font stack."""
    data = base64.b64encode(font_bytes(page_characters(extra))).decode("ascii")
    return (f"@font-face {{ font-family: '{FAMILY}'; font-display: block; "
            f"src: url(data:font/woff;base64,{data}) format('woff'); }}\n"
            f".v-application, .v-application .text-h1, .v-application .text-body-1, "
            f"body {{ font-family: Roboto, 'Noto Sans', Arial, '{FAMILY}', sans-serif "
            f"!important; }}\n")
