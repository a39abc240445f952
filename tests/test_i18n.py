"""Both languages everywhere: the catalogs in abm/locales are complete and consistent,
every schema parameter and every series the page shows has both, and Chinese renders
in figures without missing glyphs. Also ``--lang`` / ``ABM_LANG`` on the command line."""

from __future__ import annotations

import re
import string
import warnings
from pathlib import Path

import pytest

from abm import i18n
from abm.budget import payers
from abm.cli import main
from abm.config import load_config, parameter_table
from abm.runner import build_model

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")  # characters, punctuation
# English texts that name the other language on purpose.
EN_WITH_CJK = {"glossary.heading", "glossary.other"}
ZH_WITHOUT_CJK = {"glossary.other"}
# The vocabulary, which the glossary must carry in both languages.
FIELD_TERMS = ("防止返贫动态监测", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户", "公益性岗位",
               "过渡期", "驻村工作队", "产业帮扶", "扶贫小额信贷", "大病保险", "医疗救助", "低保",
               "内生动力", "理想化的政策", "执行机构", "目标群体", "执行环境")


def placeholders(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_both_languages_have_the_same_messages_and_placeholders():
    en, zh = i18n.messages("en"), i18n.messages("zh")
    assert set(en) == set(zh), f"in one language only: {sorted(set(en) ^ set(zh))}"
    for key in en:
        assert en[key].strip() and zh[key].strip(), key
        assert placeholders(en[key]) == placeholders(zh[key]), key
        if key not in ZH_WITHOUT_CJK:
            assert CJK.search(zh[key]), f"zh.yaml {key} has no Chinese: {zh[key]!r}"
        if key not in EN_WITH_CJK:
            assert not CJK.search(en[key]), f"en.yaml {key} has Chinese: {en[key]!r}"


def test_a_message_in_one_language_only_fails(monkeypatch):
    """The check above is real: drop a key from one side and the sets differ."""
    zh = dict(i18n.messages("zh"))
    zh.pop("run.step")
    assert set(i18n.messages("en")) ^ set(zh) == {"run.step"}


def test_glossary_has_the_field_vocabulary_in_both_languages():
    terms = i18n.glossary()
    assert set(FIELD_TERMS) <= {t["zh"] for t in terms.values()}
    for key, t in terms.items():
        assert t["en"] and t["note"] and CJK.search(t["zh"]), key
        assert not CJK.search(t["en"]), key
    # Catalog texts read the glossary: the same term in both languages.
    assert "防止返贫动态监测" in i18n.metric("n_monitored", "zh").meaning
    assert "dynamic monitoring" in i18n.metric("n_monitored", "en").meaning
    with pytest.raises(KeyError):
        i18n.expand("[[no_such_term]]", "en")


def test_every_schema_parameter_has_both_languages():
    """The lead adds an entry to abm/locales/params.yaml for each new parameter."""
    missing = []
    for row in parameter_table():
        key = row["key"]
        try:
            en, zh = i18n.param_label(key, "en"), i18n.param_label(key, "zh")
            meaning = i18n.param_meaning(key, "zh")
            i18n.param_unit(row["unit"] or "", "zh")
            section = key.rsplit(".", 1)[0]
            i18n.section_title(section, "zh")
        except KeyError as exc:
            missing.append(f"{key}: {exc}")
            continue
        assert not CJK.search(en) and CJK.search(zh) and CJK.search(meaning), key
    assert missing == [], "add to abm/locales/params.yaml:\n" + "\n".join(missing)


def test_every_series_the_page_and_reports_name_has_both_languages():
    model = build_model(load_config(ROOT / "configs" / "baseline.yaml", households=300))
    model.step()
    columns = [c for c in model.metrics if c.startswith(("smith_", "n_monitored_"))]
    columns += ["poverty_rate", "poverty_rate_registered", "cum_returned_to_poverty",
                "n_monitored", "income_pc", "income_pc_public_transfers", "spent_total",
                "cum_exited_poverty"]
    for col in columns:
        assert i18n.has_metric(col), f"add {col} to abm/locales/metrics.yaml"
        en, zh = i18n.metric(col, "en"), i18n.metric(col, "zh")
        assert en.better == zh.better in ("up", "down", "none"), col
        assert CJK.search(zh.label) and CJK.search(zh.meaning) and not CJK.search(en.label)
    causes = [c.removeprefix("new_returned_") for c in model.metrics
              if c.startswith("new_returned_") and c != "new_returned_to_poverty"]
    assert causes and all(CJK.search(i18n.cause(c, "zh")) for c in causes)
    assert all(CJK.search(i18n.payer(p, "zh")) for p in set(payers().values()))


def test_every_message_key_used_in_the_code_exists():
    used = set()
    for path in [*ROOT.glob("viz/*.py"), *ROOT.glob("abm/**/*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""",
                               path.read_text(encoding="utf-8")))
    assert used, "the scan found no message keys"
    assert sorted(used - set(i18n.messages("en"))) == []


def test_default_language_from_env_then_locale():
    assert i18n.default_lang({"ABM_LANG": "zh"}) == "zh"
    assert i18n.default_lang({"ABM_LANG": "en", "LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.default_lang({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert i18n.default_lang({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.default_lang({"ABM_LANG": "fr"}) == "en"
    assert i18n.default_lang({}) == "en"


def test_numbers_with_units_in_both_languages():
    m = i18n.metric("spent_total", "zh")
    assert i18n.format_metric(m, 47_874_000, "zh") == "4,787.4 万元"
    assert i18n.format_metric(i18n.metric("spent_total", "en"), 47_874_000, "en") == (
        "47.87 million yuan")
    rate = i18n.metric("poverty_rate_registered", "en")
    assert i18n.format_metric(rate, 0.025, "en") == "2.5%"
    assert i18n.format_metric(rate, 0.017, "en", signed=True) == "+1.7pp"


def test_cli_errors_and_help_in_chinese(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["--lang", "zh", "run", str(ROOT / "configs" / "baseline.yaml"),
                 "--set", "policy.transition_end_year=2019"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("abm：错误：") and "过渡期结束年份" in err and "2020" in err
    monkeypatch.setenv("ABM_LANG", "en")
    assert main(["run", str(ROOT / "configs" / "baseline.yaml"), "--households", "-10"]) == 2
    assert capsys.readouterr().err.startswith("abm: error: --households: run.households")
    assert main(["--lang", "fr", "report", "x"]) == 2
    assert "--lang fr: allowed: en, zh" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing written on bad input
    monkeypatch.setenv("ABM_LANG", "zh")
    assert main(["run", "--help"]) == 0
    assert "根随机种子" in capsys.readouterr().out


def test_a_figure_with_chinese_text_has_no_missing_glyphs(tmp_path):
    """The report's outcome figure with Chinese labels: every glyph in the font."""
    import pandas as pd

    from abm.experiments.report import plot_outcomes

    table = pd.DataFrame({"scenario": ["基准", "无转移支付"], "metric": "cum_returned_to_poverty",
                          "n": 5, "mean": [38.8, 50.2], "sd": [2.0, 2.1],
                          "ci_low": [34.5, 45.9], "ci_high": [43.2, 54.4]})

    class Exp:  # what plot_outcomes reads from an experiment
        factors: dict = {}

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = plot_outcomes(table, Exp(), tmp_path / "outcomes.png", lang="zh")
    glyphs = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert glyphs == []
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_attribution_report_answers_in_both_languages(tmp_path):
    """Level as configured and all-ideal, the gap, each factor's share, what ideal means,
    and a figure whose title says what its axis shows; no missing glyphs in Chinese."""
    import pandas as pd

    from abm.attribution import (
        FACTORS,
        OUTCOMES,
        all_combos,
        attribute,
        attribution_markdown,
        combo_name,
        plot_attribution,
    )

    effect = {"policy": 10.0, "org": 20.0, "target": 5.0, "env": 15.0}
    rows = []
    for rep in range(3):
        for combo in all_combos():
            value = 100.0 + rep - sum(effect[f] for f in combo)
            rows.append({"scenario": combo_name(combo), "replicate": rep,
                         **{o: value for o in OUTCOMES}})
    results = pd.DataFrame(rows)
    table = pd.concat([attribute(results, o) for o in OUTCOMES], ignore_index=True)
    config = ROOT / "configs" / "baseline.yaml"
    en = attribution_markdown(table, results, config, 3, 500, 12, "en")
    assert "500 households, 12 months per run; 3 seeds x 16 combinations" in en
    assert ("Returns to poverty (running total) over 12 months: 101 [98.5, 103] households "
            "as configured vs 51 [48.5, 53.5] households with all four factors ideal") in en
    assert "implementing organisation 40%" in en
    assert "only 3 seeds" in en
    assert "Medical expense cap: enabled (`policy.medical_cap.enabled`) = True" in en
    zh = attribution_markdown(table, results, config, 3, 500, 12, "zh")
    assert "执行机构占 40%" in zh and "各因素“理想”的含义" in zh
    assert len(FACTORS) == 4
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plot_attribution(table, tmp_path / "attribution.png", "zh")
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
    assert (tmp_path / "attribution.png").read_bytes()[:4] == b"\x89PNG"


def test_the_page_font_covers_every_chinese_character_of_the_catalogs():
    import io

    from fontTools.ttLib import TTFont

    from viz.fonts import font_bytes, page_characters

    chars = page_characters()
    cmap = TTFont(io.BytesIO(font_bytes(chars))).getBestCmap()
    missing = [c for c in chars if CJK.search(c) and ord(c) not in cmap]
    assert missing == []
    assert "防" in chars and "亿" in chars


def test_chinese_parameter_reference_is_up_to_date():
    """docs/parameters.zh.md is generated: `uv run python -m abm.i18n` after a change."""
    assert i18n.PARAMETERS_ZH.read_text(encoding="utf-8") == i18n.parameters_markdown_zh()


def test_report_states_the_answer_with_intervals_and_warnings():
    import pandas as pd

    from abm.experiments.report import answer_lines, differences_table
    from abm.experiments.spec import Experiment

    exp = Experiment.model_validate({"base": "b.yaml", "replicates": 3, "months": 48,
                                     "scenarios": {"baseline": {}, "no_transfers": {}}})
    rows = []
    for rep in range(3):
        rows.append({"scenario": "baseline", "point": 0, "replicate": rep, "status": "ok",
                     "cum_returned_to_poverty": 38.0 + rep, "poverty_rate": 0.010})
        rows.append({"scenario": "no_transfers", "point": 0, "replicate": rep,
                     "status": "ok", "cum_returned_to_poverty": 50.0 + 2 * rep,
                     "poverty_rate": 0.010 + (0.001 if rep == 1 else -0.0005 * rep)})
    diffs = differences_table(pd.DataFrame(rows), exp,
                              ["cum_returned_to_poverty", "poverty_rate"])
    en = answer_lines(diffs, 48, "en")
    assert en[0] == ("- Returns to poverty (running total) over 48 months: 39 [36.5, 41.5] "
                     "households in baseline vs 52 [47, 57] households in no_transfers: +33% "
                     "(difference +13 [10.5, 15.5] households, paired over 3 seeds; "
                     "95% intervals).")
    assert "includes zero for Poverty rate, all households (no_transfers)" in en[-2]
    assert "only 3 seeds" in en[-1]
    zh = answer_lines(diffs, 48, "zh")
    assert zh[0].startswith("- 累计返贫户数（48 个月）：baseline 为 39 [36.5, 41.5] 户")
    assert "区间包含零" in zh[-2] and "只有 3 个种子" in zh[-1]
