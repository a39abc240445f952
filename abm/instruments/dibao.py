"""The minimum living guarantee (dibao): enrolled households are topped up to its line.

Who is enrolled: the 2020 roster (no one able to work or a disabled member, and income
below the 2021 line on the six months known in January 2020, annualised); households
that qualify and apply, any month, once civil affairs has decided on the application
(within 30 working days: the month after); monitored households that cannot work, or are
impoverished by medical bills, when the village team brings the assistance bundle; and,
at civil affairs' yearly review, registered or monitored households that now qualify.
The same review takes out households whose income without the top-up has risen above
the line (dynamic management).

A household applies as it reports a risk to monitoring: more likely with trust in the
cadres and motivation, less with the stigma of the label (the monitoring section's
``p_self_apply``, ``self_apply_motivation_base`` and ``stigma``); a household the village
team's visit found at risk this month applies with the cadres' help (active discovery,
主动发现). So how soon a household
that falls below the guarantee's line is topped up rests on its own drive and the
cadres' standing (the target group), on the team's visits and how fast the township
decides (the organisation), and on the yearly sweep (the policy)."""

from __future__ import annotations

import numpy as np

from abm import rules
from abm.instruments.base import ILLNESS_CAUSES, BudgetLine, Income, Instrument, same_columns
from abm.params import ASSUMPTION, InstrumentConfig, P

NO_MONTH = -1_000_000  # (abm.households.state.NO_MONTH: state imports the registry)


class DibaoConfig(InstrumentConfig):
    """The minimum living guarantee."""

    line_2021: float = P(6_362.0, unit="yuan/person/year", doc="Minimum living guarantee "
                         "line in 2021; enrolled households are topped up to it", ge=0,
                         le=100_000, source="national average rural dibao standard, 2021: "
                         "6,362 yuan/person/year (Ministry of Civil Affairs statistical "
                         "bulletin 2021)")
    line_growth: float = P(0.05, unit="per year", doc="Yearly rise of the line", ge=0, le=0.3,
                           source=ASSUMPTION)
    exit_multiple: float = P(1.0, unit="x dibao line", doc="At the yearly review a household "
                             "leaves when its income per person without the top-up is above "
                             "this multiple of the line", ge=0, le=10, source="dynamic "
                             "management of the minimum living guarantee: income above the "
                             "line at review means exit (civil affairs rules)")
    deduct_medical: bool = P(True, unit="-", doc="The means test and the top-up count "
                             "income after out-of-pocket medical spending (over the last 12 "
                             "months), so a household impoverished by medical bills can "
                             "qualify (expenditure-type hardship)", source="rigid medical "
                             "spending may be deducted when household income is assessed "
                             "(opinions on reforming social assistance, 2020)")
    review_month: int = P(1, unit="month of year", doc="Month of civil affairs' yearly "
                          "review", ge=1, le=12, source=ASSUMPTION)
    applications: bool = P(True, unit="-", doc="Households that qualify may apply in any "
                           "month (with the chance they report a risk to monitoring: "
                           "policy.monitoring.p_self_apply, trust, motivation, stigma); "
                           "false: enrolment only at the yearly review and when the team "
                           "brings the bundle", source="application at any time to the "
                           "township, or through the village committee (Measures for the "
                           "review and confirmation of the minimum living guarantee, "
                           "Ministry of Civil Affairs, 2021)")
    decision_months: int = P(1, unit="months", doc="Months from an application to "
                             "civil affairs' decision (the household is enrolled then if "
                             "it still qualifies; paid from the month after)", ge=0,
                             le=24, source="the township decides within 30 working days "
                             "of accepting an application (Measures for the review and "
                             "confirmation of the minimum living guarantee, Ministry of "
                             "Civil Affairs, 2021)")


class Dibao(Instrument):
    name = "dibao"
    order = 7
    label = "minimum living guarantee / 低保"
    Config = DibaoConfig
    lines = (BudgetLine("dibao", "civil_affairs", bounded=False),)
    columns = {"dibao_12m": (np.float64, ("work_income",), "dibao top-ups received over "
                             "about a year, yuan"),
               "dibao_applied": (np.int32, ("social",), "month the household applied for "
                                 "the dibao, awaiting the decision (NO_MONTH: no "
                                 "application pending)")}
    fills = {"dibao_applied": NO_MONTH}
    streams = ("dibao",)  # whether a qualifying household applies this month

    @staticmethod
    def qualifies(hh, income_pc: np.ndarray, line: float) -> np.ndarray:
        """Income per person below the line, and no one able to work or a disabled
        member."""
        return (income_pc < line) & ((hh.n_labour == 0) | hh.disability)

    def income_without_top_up(self, hh) -> np.ndarray:
        return rules.without_dibao(hh, self.income_for_test(hh))

    def roster_2020(self, hh) -> None:
        """The 2020 roster (January 2020: the six months of income known by then,
        annualised, against the 2021 line)."""
        hh.dibao |= self.qualifies(hh, hh.income_pc_year, self.p.line_2021)

    def monthly(self, s) -> None:
        """Applications decided and made this month; then, in its month, civil affairs'
        yearly review: exits of households above the line without the top-up, entries of
        registered or monitored households that now qualify."""
        hh = s.households
        # one draw per household every month (a fixed-size draw: the stream's numbers do
        # not depend on who qualifies)
        u = self.rng["dibao"].random(hh.n, dtype=np.float32)
        if s.ctx.levels[self.name] <= 0:
            hh.dibao_applied[:] = NO_MONTH
            return
        if self.p.applications:
            self.applications_month(s, u)
        if s.month % 12 != self.p.review_month - 1:
            return
        line = s.ctx.dibao_line
        own = self.income_without_top_up(hh)
        leave = hh.dibao & (own > self.p.exit_multiple * line)
        enter = ~hh.dibao & (hh.registered | hh.monitored) & self.qualifies(hh, own, line)
        hh.dibao[leave] = False
        hh.dibao[enter] = True
        hh.dibao_applied[enter] = NO_MONTH
        self.n_exits += int(leave.sum())
        self.n_entries += int(enter.sum())

    def applications_month(self, s, u: np.ndarray) -> None:
        """Decisions on applications made ``decision_months`` ago (enrolled if the
        household still qualifies: ``qualifies`` on its income without the top-up), then
        this month's applications: households that qualify, are not enrolled and have
        none pending apply with the chance they report a risk (``p_self_apply * trust *
        (self_apply_motivation_base + motivation) * (1 - stigma)``; ``u``: this month's
        draws), or because the village team's visit found them at risk this month
        (``s.monitoring.found``); with ``decision_months`` 0 they are decided at once.
        One compiled pass (``kernels.dibao_applications``)."""
        from abm import kernels  # (not at import: the config needs no numba)

        hh = s.households
        mon = s.config.policy.monitoring
        found = np.zeros(hh.n, np.bool_)
        if s.monitoring is not None and s.monitoring.found:
            found[np.concatenate(s.monitoring.found)] = True
        entered = kernels.dibao_applications(
            u, found, hh.trust, hh.motivation, float(mon.p_self_apply),
            float(mon.self_apply_motivation_base), float(1.0 - mon.stigma),
            self.income_for_test(hh), hh.dibao_12m, hh.size, hh.n_labour, hh.disability,
            float(s.ctx.dibao_line), hh.dibao, hh.dibao_applied, int(s.month),
            int(self.p.decision_months), NO_MONTH)
        self.n_entries += entered

    def __init__(self, cfg, streams=None):
        super().__init__(cfg, streams)
        self.n_exits = 0
        self.n_entries = 0

    def start_of_run(self) -> None:
        self.n_exits = self.n_entries = 0

    def top_up(self, hh, ctx, inc: Income) -> None:
        from abm import kernels  # (not at import: the config needs no numba)

        # max(line - own income, 0) of enrolled households, in one compiled pass
        gap = kernels.dibao_gap(hh.dibao, hh.size, float(ctx.dibao_line / 12.0), inc.farm,
                                inc.wage, inc.remit, inc.property, inc.public, hh.oop_sum,
                                bool(self.p.deduct_medical))
        paid = ctx.budget.pay("dibao", self.at_level(gap, ctx), fresh=True)
        inc.add("public", paid)
        self.withhold(hh, ctx, gap)
        d = hh.dibao_12m  # d = d * (11 / 12) + paid, in place (the same numbers)
        if same_columns(d, paid):
            kernels.add_into(d, paid, scale=11.0 / 12.0)  # (one pass)
        else:
            np.add(np.multiply(d, 11.0 / 12.0, out=d), paid, out=d)

    def deliver(self, hh, idx: np.ndarray, able: np.ndarray, s) -> None:
        """Households that cannot work, and, when the team identified illness or
        disability as the cause and the means test deducts medical spending, households
        impoverished by medical bills."""
        if s.ctx.levels[self.name] <= 0:
            return
        below = self.income_for_test(hh, idx) < s.ctx.dibao_line
        ill = np.zeros(idx.size, bool)
        if self.p.deduct_medical:
            from abm.households.state import CAUSE_INDEX  # (state imports the registry)

            codes = [CAUSE_INDEX[c] for c in ILLNESS_CAUSES]
            ill = hh.help_fitted[idx] & np.isin(hh.risk_cause[idx], codes)
        hh.dibao[idx[(~able | ill) & below]] = True

    def income_for_test(self, hh, idx=None) -> np.ndarray:
        """Income per person the means test reads (of households ``idx``, or all):
        disposable (after medical bills) when medical spending is deducted, else before
        them."""
        own = hh.income_pc_year if self.p.deduct_medical else hh.income_pc_gross_year
        return own if idx is None else own[idx]
