"""Family-doctor contracts signed on paper (``implementers.contract_service_share``): the
township clinics' doctors serve a share of the contracts they sign, their priority
patients first; only a served contract manages the household's health, the county pays
for all of them, and the organisation's ideal serves every contract (P County's "goal
displacement" and implementers who lack "service awareness")."""

from __future__ import annotations

import numpy as np
import pytest

from abm.attribution import IDEAL, INDICATORS, combo_overrides
from abm.config import Config, ConfigError, load_config
from abm.runner import build_model
from tests.conftest import assert_bad_set

P_COUNTY = "configs/counties/p_county.yaml"


def _year(share: float, seed: int = 3):
    """P County (2,000 households) after its first January's contracts, with ``share``
    of them served."""
    cfg = load_config(P_COUNTY, [f"implementers.contract_service_share={share}"],
                      households=2000, months=12, seed=seed)
    model = build_model(cfg)
    prevention = model.instruments["prevention"]
    signing = prevention.priority

    def priority(hh):  # who the clinics put first, as they saw it when signing
        model.signing_priority = signing(hh).copy()
        return signing(hh)

    prevention.priority = priority
    model.step()
    return model


@pytest.mark.parametrize("seed", [3, 4])
def test_the_doctors_serve_their_share_of_the_contracts_priority_patients_first(seed):
    full, half = _year(1.0, seed), _year(0.5, seed)
    hf, hh = full.households, half.households
    signed = [c.contracts for c in full.social.clinics]
    assert sum(signed) > 50
    # the same contracts are signed (and paid for) whatever is served
    assert [c.contracts for c in half.social.clinics] == signed
    assert full.budget.lines["prevention"].spent == half.budget.lines["prevention"].spent
    assert [c.served for c in full.social.clinics] == signed
    assert [c.served for c in half.social.clinics] == [int(np.floor(0.5 * n + 0.5))
                                                        for n in signed]
    # only the served contracts mark households, and they are among the signed ones
    assert int(hf.doctor_contract.sum()) == sum(signed)
    assert int(hh.doctor_contract.sum()) == sum(c.served for c in half.social.clinics)
    assert not (hh.doctor_contract & ~hf.doctor_contract).any()
    # priority patients (registered or monitored) are served before the others: no
    # unserved priority patient where a non-priority one is served, clinic by clinic
    priority = half.signing_priority
    assert priority.any() and (~priority & hh.chronic).any()
    paper = hf.doctor_contract & ~hh.doctor_contract
    for clinic in half.social.clinics:
        mine = clinic.mask
        if (paper & priority & mine).any():
            assert not (hh.doctor_contract & ~priority & mine).any()
    assert half.metrics["smith_org_contracts_served"] == pytest.approx(
        int(hh.doctor_contract.sum()) / sum(signed))
    assert full.metrics["smith_org_contracts_served"] == 1.0


def test_a_paper_contract_manages_nothing():
    """The acute risk of a chronic patient whose contract is on paper is the risk of one
    with no contract; a served one's falls."""
    half = _year(0.5)
    hh = half.households
    prevention = half.instruments["prevention"]
    rel = np.ones(hh.n)
    cut = prevention.acute_risk(hh, half.ctx, rel)
    served = hh.doctor_contract & hh.chronic
    assert served.any()
    assert (cut[served] < 1.0).any() and (cut[served] <= 1.0).all()
    assert (cut[~served] == 1.0).all()


def test_the_default_serves_every_contract_and_only_the_organisation_ideal_owns_it():
    assert Config().implementers.contract_service_share == 1.0
    assert load_config(P_COUNTY).implementers.contract_service_share == 0.5
    assert IDEAL["org"]["implementers.contract_service_share"] == 1.0
    for f in ("policy", "target", "env"):
        assert "implementers.contract_service_share" not in IDEAL[f]
    sets = [f"{k}={v}" for k, v in combo_overrides(frozenset({"org"})).items()]
    assert load_config(P_COUNTY, sets).implementers.contract_service_share == 1.0
    assert "smith_org_contracts_served" in INDICATORS["org"]


def test_a_share_outside_zero_to_one_is_bad_input(tmp_path, capsys):
    with pytest.raises(ConfigError, match="implementers.contract_service_share"):
        load_config(None, ["implementers.contract_service_share=1.5"])
    assert_bad_set("implementers.contract_service_share=-0.1", tmp_path, capsys)
