"""Who medical assistance covers (``policy.medical.assisted``): by default the registered,
the monitored and the dibao households (the 2021 opinion No. 42 brought the monitored
in); a county short of money (P County's "lack of policy coverage") keeps to the
registered and dibao households, and the policy's ideal restores full coverage."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from abm.attribution import IDEAL, combo_overrides
from abm.config import Config, ConfigError, load_config
from abm.households.spending import spending
from abm.instruments.base import MedicalBill
from abm.instruments.medical import FULL_COVERAGE
from abm.instruments.registry import ideal_policy
from tests.conftest import assert_bad_set, make_ctx, make_households

P_COUNTY = "configs/counties/p_county.yaml"


def _paid_in_hospital(cfg: Config) -> np.ndarray:
    """Out-of-pocket of four households with an inpatient bill of 1,000 yuan: monitored
    and never registered; registered (and monitored); on the dibao alone; none."""
    hh = make_households(4)
    hh.monitored[:] = [True, True, False, False]
    hh.registered[:] = [False, True, False, False]
    hh.dibao[:] = [False, False, True, False]
    hh.medical_cost_m[:] = 1000.0
    hh.new_ledger_month(1)
    spending(hh, cfg, make_ctx(4, cfg=cfg))
    return hh.sp_medical_m.copy()


def test_narrow_coverage_leaves_the_newly_monitored_with_basic_insurance_alone():
    med = Config().policy.medical
    general, extra = 1000.0 * (1 - med.reimbursement_general), 1000.0 * (
        1 - med.reimbursement_registered)
    assert med.assisted == FULL_COVERAGE
    assert _paid_in_hospital(Config()) == pytest.approx([extra, extra, extra, general])
    narrow = load_config(None, ["policy.medical.assisted=registered_dibao"])
    assert _paid_in_hospital(narrow) == pytest.approx([general, extra, extra, general])


def test_narrow_coverage_is_what_households_expect_too():
    cfg = load_config(None, ["policy.medical.assisted=registered_dibao"])
    hh = make_households(2)
    hh.monitored[:] = True
    hh.registered[:] = [False, True]
    ctx = make_ctx(2, cfg=cfg)
    bill = MedicalBill(np.full(2, 1000.0), np.zeros(2))
    ctx.instruments["medical_extra"].anticipate(hh, ctx, np.arange(2), bill)
    med = cfg.policy.medical
    assert bill.assisted == pytest.approx(
        [0.0, 1000.0 * (med.reimbursement_registered - med.reimbursement_general)])


def test_inclusion_in_monitoring_brings_no_assistance_on_application_when_narrow():
    """Assistance on application pays a newly monitored household its missed extra only
    where monitoring brings assistance with it."""
    paid = {}
    for assisted in (FULL_COVERAGE, "registered_dibao"):
        cfg = load_config(None, ["policy.medical.retroactive_months=3",
                                 f"policy.medical.assisted={assisted}"])
        hh = make_households(2)
        ctx = make_ctx(2, month=3, cfg=cfg)
        inst = ctx.instruments["medical_extra"]
        for month in (3, 4):
            ctx.month = month
            inst.medical(hh, ctx, MedicalBill(np.full(2, 1000.0), np.zeros(2)))
        hh.monitored[:] = True  # both included this month (as the implementers do)
        inst.on_include(hh, np.arange(2), SimpleNamespace(ctx=ctx, budget=ctx.budget))
        paid[assisted] = hh.pending_transfer_m.copy()
    assert (paid[FULL_COVERAGE] > 0).all()
    assert (paid["registered_dibao"] == 0).all()


def test_the_policy_ideal_restores_full_coverage():
    assert ideal_policy()["policy.medical.assisted"] == FULL_COVERAGE
    assert IDEAL["policy"]["policy.medical.assisted"] == FULL_COVERAGE
    as_is = load_config(P_COUNTY)
    assert as_is.policy.medical.assisted == "registered_dibao"
    sets = [f"{k}={v}" for k, v in combo_overrides(frozenset({"policy"})).items()]
    ideal = load_config(P_COUNTY, sets)
    assert ideal.policy.medical.assisted == FULL_COVERAGE
    assert _paid_in_hospital(ideal)[0] == pytest.approx(_paid_in_hospital(ideal)[1])
    # only the policy's ideal owns it: the other factors leave P County's coverage narrow
    for f in ("org", "target", "env"):
        assert "policy.medical.assisted" not in IDEAL[f]


def test_an_unknown_coverage_is_bad_input(tmp_path, capsys):
    with pytest.raises(ConfigError, match="policy.medical.assisted"):
        load_config(None, ["policy.medical.assisted=everyone"])
    assert_bad_set("policy.medical.assisted=everyone", tmp_path, capsys)
