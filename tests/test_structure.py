"""The model's structure holds: one writer per column, common random numbers, declared
results from pure measures, instruments found from their modules."""

from __future__ import annotations

import pkgutil

import numpy as np
import pytest

import abm.instruments
from abm.budget import Budget, declared_lines
from abm.config import PolicyConfig, load_config
from abm.households.state import COLUMNS, ColumnWriteError
from abm.instruments import registry
from abm.instruments.base import HOOKS, Instrument
from abm.model import CountyModel
from abm.results import RESULTS, measure

BUSY = ["shocks.epidemic.start_year=2021", "shocks.epidemic.dur_months=3",
        "shocks.p_disaster_village_year=0.3", "policy.medical_cap.enabled=true",
        "policy.microcredit.enabled=true", "policy.microcredit.p_take_up=0.2",
        "policy.microcredit.term_months=6", "policy.microcredit.p_venture_failure=0.2",
        "implementers.extra_cadres=5", "industry.sectors={grain: 1.0}",
        "shocks.price_shocks=[{sector: grain, year: 2021, size: -1.5}]",
        "policy.transition_end_year=2021", "policy.withdrawal_months=6"]


def test_every_phase_writes_only_its_declared_columns():
    cfg = load_config(None, BUSY, households=1200, months=14, seed=5)
    m = CountyModel(cfg, check_writes=True)
    for _ in range(14):  # a January, a December review, the withdrawal, loans falling due
        m.step()
    assert m.instruments["microcredit"].n_loans > 0
    assert m.instruments["microcredit"].n_defaulted > 0


def test_an_undeclared_write_is_caught():
    m = CountyModel(load_config(None, households=300, months=2))
    hh = m.households
    before = hh.snapshot()
    hh.dibao[0] = not hh.dibao[0]  # only init and implementers may write dibao
    with pytest.raises(ColumnWriteError, match="'learning' wrote dibao"):
        hh.check_writes("learning", before)
    hh.check_writes("implementers", before)


def test_every_column_names_known_phases():
    from abm.households.state import PHASES

    for name, (_dtype, phases, doc) in COLUMNS.items():
        assert phases and set(phases) <= set(PHASES), name
        assert doc, name


def test_changing_who_is_visited_changes_no_one_s_draws():
    """Common random numbers: more cadres and better detection change who is visited and
    helped, yet every stream hands out exactly the same numbers to every household."""
    a = CountyModel(load_config(None, households=1500, months=12, seed=9))
    b = CountyModel(load_config(None, ["implementers.registered_per_cadre=5",
                                       "implementers.detection_skill=1.0"],
                                households=1500, months=12, seed=9))
    assert a.streams.names() == b.streams.names()
    visited_differently = False
    for _ in range(12):
        a.step()
        b.step()
        for field in ("apply", "detect", "screen", "verify", "triage", "attend"):
            np.testing.assert_array_equal(getattr(a.draws, field), getattr(b.draws, field))
        visited_differently |= (sum(t.visits for t in a.village_teams)
                                != sum(t.visits for t in b.village_teams))
    assert visited_differently
    assert not np.array_equal(a.households.monitored, b.households.monitored)
    for name in a.streams.names():  # every stream drew the same count of numbers
        assert (a.streams[name].bit_generator.state == b.streams[name].bit_generator.state), name


def test_results_are_declared_and_measuring_twice_changes_nothing():
    m = CountyModel(load_config(None, households=800, months=6, seed=2))
    for _ in range(6):
        m.step()
    ts = m.timeseries()
    declared = RESULTS()
    assert list(ts.columns) == [r.name for r in declared]
    for r in declared:
        assert str(ts[r.name].dtype) == r.dtype, r.name
        assert r.unit and r.label, r.name
        if r.name.startswith("smith_"):
            assert r.factor in ("policy", "org", "target", "env"), r.name
    codes = np.zeros(0, np.int8)
    causes = np.zeros(0, object)
    tally = (m.tally.cum_returned, list(m.tally.motivation), m.tally.help_total)
    first = measure(m, codes, causes)
    second = measure(m, codes, causes)
    assert first == second
    assert (m.tally.cum_returned, list(m.tally.motivation), m.tally.help_total) == tally


def test_instruments_are_found_from_their_modules():
    modules = {i.name for i in pkgutil.iter_modules(abm.instruments.__path__)} - {
        "base", "registry"}
    classes = registry.classes()
    assert {c.__module__.rsplit(".", 1)[1] for c in classes} == modules
    assert "microcredit" in registry.names()
    # every instrument with a config section has it under policy, in registry order
    sections = list(registry.config_sections())
    fields = list(PolicyConfig.model_fields)
    assert fields[-len(sections):] == sections
    # hooks named on the base class are the ones the registry orders
    for hook in HOOKS:
        assert callable(getattr(Instrument, hook))


def test_every_bounded_line_is_allocated_by_its_owner_each_year():
    m = CountyModel(load_config(None, households=500, months=1))
    declared = {d.name for d in declared_lines()}
    assert set(m.budget.lines) == declared
    alloc = m.instruments.allocations(m.households, m.ctx)
    owned = {line.name for c in registry.classes() for line in c.lines if line.bounded}
    assert set(alloc) == owned
    assert len(declared) == len(list(declared_lines()))  # no line declared twice
    with pytest.raises(RuntimeError, match="declared twice"):
        Budget.from_declarations(list(declared_lines()) + [declared_lines()[0]])


def test_an_instrument_module_adds_its_section_line_column_cause_and_results():
    from abm.households.state import CAUSES
    from abm.results import by_name

    cfg = load_config(None, ["policy.microcredit.loan_yuan=20000"])
    assert cfg.policy.microcredit.loan_yuan == 20000
    assert "microcredit_interest" in Budget().lines
    assert "loan" in COLUMNS and "credit" in CAUSES
    assert "cum_loan_defaults" in by_name()


def test_the_state_variable_table_is_generated_from_the_schema():
    from abm.state_docs import ROOT, state_markdown

    assert (ROOT / "docs" / "state.md").read_text(encoding="utf-8") == state_markdown(), (
        "docs/state.md has drifted: run uv run python -m abm.state_docs")
