"""Health poverty alleviation: basic and critical-illness insurance for everyone, and
medical assistance on top for registered and monitored households.

Who medical assistance covers is ``assisted``: every household the 2021 opinion names
(the default), or the registered and dibao households only (a county whose lack of money
leaves the newly monitored with basic insurance alone).

Two instruments share the ``policy.medical`` section: the insurance is never withdrawn,
the assistance (the extra reimbursement) follows the section's calendar and falls to
``kept_after_transition`` after 2025.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from abm.instruments.base import BudgetLine, Instrument, MedicalBill, same_columns
from abm.params import ASSUMPTION, InstrumentConfig, P

# Who medical assistance's extra reimbursement covers (``MedicalConfig.assisted``).
FULL_COVERAGE = "registered_monitored_dibao"


class MedicalConfig(InstrumentConfig):
    """Basic medical insurance + critical-illness insurance + medical assistance."""

    reimbursement_general: float = P(0.55, unit="share", doc="Effective inpatient "
                                     "reimbursement for ordinary rural residents", ge=0, le=1,
                                     source=ASSUMPTION)
    reimbursement_registered: float = P(0.80, unit="share", doc="Effective inpatient "
                                        "reimbursement for registered and monitored households "
                                        "(insurance + critical illness + medical assistance)",
                                        ge=0, le=1, source="about 80%, end-2019 (NHSA 2020-10)")
    reimbursement_outpatient: float = P(0.3, unit="share", doc="Effective reimbursement of "
                                        "routine outpatient care (general outpatient pooling "
                                        "within its limits)", ge=0, le=1, source=ASSUMPTION)
    kept_after_transition: float = P(0.4, unit="share", doc="Share of the extra "
                                     "reimbursement of registered households kept after the "
                                     "transition", ge=0, le=1, source=ASSUMPTION)
    retroactive_months: int = P(0, unit="months", doc="Medical assistance on application "
                                "(依申请救助): a household newly included in monitoring "
                                "(so newly eligible) is paid, the month after, the extra "
                                "reimbursement medical assistance would have paid on its "
                                "inpatient bills of the last retroactive_months months, when "
                                "it was not eligible (0: only bills after inclusion)",
                                ge=0, le=12, source="an early warning of high medical "
                                "bills and an application-based assistance mechanism "
                                "(State Council General Office 2021 No. 42, 2021-10-28); the "
                                "number of months is an assumption")
    assisted: str = Field(
        FULL_COVERAGE, pattern="^(registered_monitored_dibao|registered_dibao)$",
        description="Who medical assistance (the extra inpatient reimbursement) covers: "
        "registered_monitored_dibao (registered, monitored and dibao households) or "
        "registered_dibao (registered and dibao households only: a household newly "
        "monitored that was never registered gets basic insurance alone)",
        json_schema_extra={"source": "households monitored for the risk of returning to "
                           "poverty brought into medical assistance (State Council "
                           "General Office 2021 No. 42, 2021-10-28); registered_dibao is "
                           "a county that does not cover them"})


class MedicalInsurance(Instrument):
    name = "medical"
    order = 3
    label = "basic and critical-illness insurance / 基本医保和大病保险"
    Config = MedicalConfig
    always_on = True  # basic insurance is never withdrawn
    lines = (BudgetLine("medical_insurance", "medical_insurance_fund", bounded=False,
                        targeted=False),)
    ideal = {"kept_after_transition": 1.0}
    covers_at = 1

    def medical(self, hh, ctx, bill: MedicalBill) -> None:
        if not self.p.enabled:
            return
        lv = ctx.levels[self.name]
        out_share = self.p.reimbursement_outpatient * lv
        in_share = self.p.reimbursement_general * lv
        if same_columns(bill.inpatient, bill.outpatient) and isinstance(
                in_share, float) and isinstance(out_share, float):
            from abm import kernels  # (not at import: the config needs no numba)

            # routine = outpatient * out_share; claim = inpatient * in_share + routine,
            # in one pass (the same bits)
            claim, routine = kernels.insurance_claims(bill.inpatient, bill.outpatient,
                                                      in_share, out_share)
        else:
            routine = bill.outpatient * out_share
            claim = bill.inpatient * in_share + routine
        bill.pay("insured", ctx.budget.pay("medical_insurance", claim, fresh=True))
        bill.outpatient_insured = routine

    def anticipate(self, hh, ctx, idx: np.ndarray, bill: MedicalBill) -> None:
        if self.p.enabled:
            bill.pay("insured", bill.inpatient * (self.p.reimbursement_general
                                                  * ctx.levels[self.name]))


class MedicalAssistance(Instrument):
    name = "medical_extra"
    order = 4
    label = "medical assistance / 医疗救助"
    calendar_of = "medical"
    lines = (BudgetLine("medical_assistance", "county_medical_assistance", bounded=False),)
    # Every household the 2021 opinion names: the registered, the monitored (its
    # addition) and the dibao. A county that leaves the monitored out lacks coverage
    # in the policy itself.
    ideal = {"assisted": FULL_COVERAGE}
    covers_at = 2

    def __init__(self, cfg, streams=None):
        super().__init__(cfg, streams)
        self.missed: np.ndarray | None = None  # (12 months, households), yuan
        self.n_retroactive = 0
        self.retroactive_paid = 0.0

    def start_of_run(self) -> None:
        self.n_retroactive = 0
        self.retroactive_paid = 0.0

    def eligible(self, hh, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Registered and monitored households, and minimum-living-guarantee recipients
        (medical assistance's first target group in civil affairs rules), of ``idx``;
        without the monitored when ``assisted`` is ``registered_dibao`` (a monitored
        household is covered only if it is also registered or on the dibao)."""
        if self.p.assisted != FULL_COVERAGE:  # registered_dibao
            return hh.registered[idx] | hh.dibao[idx]
        return hh.registered[idx] | hh.monitored[idx] | hh.dibao[idx]

    def extra(self) -> float:
        """The share of an inpatient bill it pays on top of basic insurance."""
        return max(0.0, self.p.reimbursement_registered - self.p.reimbursement_general)

    def medical(self, hh, ctx, bill: MedicalBill) -> None:
        extra = self.extra()
        from abm import kernels  # (not at import: the config needs no numba)

        if type(self).eligible is MedicalAssistance.eligible and (
                self.p.assisted == FULL_COVERAGE) and same_columns(
                bill.inpatient) and all(
                getattr(hh, c).dtype == np.bool_ for c in ("registered", "monitored",
                                                           "dibao")):
            # np.where(self.eligible(hh), inpatient * extra, 0.0) in one pass
            full = kernels.assistance_claims(hh.registered, hh.monitored, hh.dibao,
                                             bill.inpatient, float(extra))
        else:
            full = kernels.where_product(self.eligible(hh), bill.inpatient, float(extra))
        bill.pay("assisted", ctx.budget.pay("medical_assistance", self.at_level(full, ctx),
                                                 fresh=True))
        bill.add_withheld(full, ctx.withdrawn.get(self.name, 0.0))
        if self.p.retroactive_months > 0:
            # what it would have paid the households not eligible this month, kept a year
            # for assistance on application (``on_include``)
            if self.missed is None:
                self.missed = np.zeros((12, hh.n))
            row = self.missed[ctx.month % 12]
            row[:] = bill.inpatient * extra
            row[self.eligible(hh)] = 0.0

    def on_include(self, hh, idx: np.ndarray, s) -> None:
        """Assistance on application: households ``idx`` just included in monitoring are
        credited (paid next month) the extra share of their inpatient bills of the last
        ``retroactive_months`` months (this one included), at this month's level of the
        instrument, from the medical assistance line; the status phase books it against
        the months of the bills (``Households.credit_bills``)."""
        n = self.p.retroactive_months
        if n <= 0 or self.missed is None or idx.size == 0:
            return
        if self.p.assisted != FULL_COVERAGE:
            # inclusion in monitoring does not bring assistance with it: only those
            # covered anyway (registered or on the dibao) are owed, and they missed nothing
            idx = idx[self.eligible(hh, idx)]
            if idx.size == 0:
                return
        at = np.ix_([(s.ctx.month - k) % 12 for k in range(n)], idx)
        # Only the included households' months are read (not whole months of the county);
        # each household's months are summed as one contiguous run, numpy's pairwise sum.
        by_month = np.ascontiguousarray(self.missed[at].T)  # (households, months back)
        owed = by_month.sum(axis=1)
        self.missed[at] = 0.0
        paid = s.budget.pay("medical_assistance", self.at_level(owed, s.ctx))
        # Paid next month and booked against the months of the bills (what the level or
        # the budget left unpaid, in proportion).
        share = np.divide(paid, owed, out=np.zeros_like(paid), where=owed > 0)
        hh.credit_bills(paid, by_month * share[:, None], idx, s.ctx.month)
        self.n_retroactive += int(np.count_nonzero(paid))
        self.retroactive_paid += float(paid.sum())

    def anticipate(self, hh, ctx, idx: np.ndarray, bill: MedicalBill) -> None:
        bill.pay("assisted", np.where(self.eligible(hh, idx), bill.inpatient * self.extra(),
                                      0.0) * ctx.levels[self.name])
