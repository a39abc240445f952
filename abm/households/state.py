"""Household state: the column schema, the structure of arrays, the one-row view,
the loss ledger and the event codes.

``Households`` owns one numpy column per attribute. ``Household`` is a light view of
one row for inspectors, tests and users. Each column declares the phases allowed to
write it (``COLUMNS``); ``Households.check_writes`` enforces that in tests. The loss
ledger is written only through :meth:`Households.book`.

Money columns ending in ``_m`` are yuan in the current month.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np

from abm.instruments import registry


class Event(IntEnum):
    """Household events, in the order of ``events.parquet``'s categories."""

    FELL_INTO_POVERTY = 0
    RETURNED_TO_POVERTY = 1
    EXITED_POVERTY = 2
    MONITORED = 3
    RISK_ELIMINATED = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class Category(IntEnum):
    """Monitoring category of a household (``category`` column)."""

    NONE = 0
    UNSTABLE = 1  # unstable lifted-out household (registered before)
    MARGINAL = 2  # marginal household prone to poverty
    SUDDEN = 3  # household in sudden severe hardship


EVENTS = tuple(e.label for e in Event)
POVERTY_EVENTS = (Event.FELL_INTO_POVERTY, Event.RETURNED_TO_POVERTY, Event.EXITED_POVERTY)
MONITORING_EVENTS = (Event.MONITORED, Event.RISK_ELIMINATED)

# Causes of loss, in the order of the ledger's rows: the model's own, then those the
# instruments declare (e.g. a failed loan-financed venture). The cause of an event is
# found by counterfactual (``Households.causes_of``).
BASE_CAUSES = (
    "illness",
    "disability",
    "job_loss",
    "market",
    "epidemic",
    "disaster",
    "policy_withdrawal",
    "aging",
    "asset_sale",
    "business_failure",
)
CAUSES = BASE_CAUSES + registry.declared_causes()
CAUSE_INDEX = {c: i for i, c in enumerate(CAUSES)}
NO_CAUSE = "low_income"  # no loss made the difference: income did not keep up with the line
RETURN_CAUSES = CAUSES + (NO_CAUSE,)
# Causes whose counterfactual is the policy as it was (the full transfer), not the
# household's own previous year: a withdrawal counts for as long as the transfer is missing.
POLICY_CAUSES = ("policy_withdrawal",)
POLICY_MASK = np.isin(np.array(CAUSES), POLICY_CAUSES)  # POLICY_CAUSES, by cause row
LEDGER_MONTHS = 24  # the ledger keeps two years of monthly losses: this year and the last
# Households from which ``Households.loss_years`` hands half the causes to the other
# thread, when the run steps on two (fewer: the hand-over costs about what it saves).
SPLIT_LOSS_YEARS = 64
RIGID_DECAY = 11.0 / 12.0  # rigid spending is remembered for about a year
NO_MONTH = -1_000_000  # "never" in month columns (months are negative in the spin-up)
NO_ID = -1  # "none" in index columns (employer, coop)

# Phases that write household columns (the step's list, see CountyModel).
PHASES = ("init", "environment", "health", "work_income", "spending", "learning",
          "decisions", "implementers", "industry", "social", "county_review", "status")

# column -> (dtype, writing phases, meaning)
BASE_COLUMNS: dict[str, tuple[Any, tuple[str, ...], str]] = {
    "size": (np.int16, ("init", "health"), "members"),
    "n_children": (np.int16, ("init", "health", "decisions"), "school-age children at "
                   "school"),
    "n_elderly": (np.int16, ("init", "health"), "members aged 60+"),
    "n_labour": (np.int16, ("init", "health", "decisions"), "members able to work"),
    "age_head": (np.float64, ("init", "health"), "age of head, years"),
    "chronic": (np.bool_, ("init", "health"), "a member has a chronic condition"),
    "disability": (np.bool_, ("init", "health"), "a member is disabled"),
    "acute_left": (np.int16, ("health",), "months left of an acute episode"),
    "sick_worker": (np.bool_, ("health",), "the acute patient is a working member"),
    "medical_cost_m": (np.float64, ("health",), "medical costs this month before "
                       "reimbursement"),
    "acute_cost_m": (np.float64, ("health",), "monthly cost of the current acute episode"),
    "outpatient_cost_m": (np.float64, ("health",), "routine outpatient care and medicines "
                          "this month before reimbursement (part of medical_cost_m)"),
    "sick_now": (np.bool_, ("health",), "a working member is too sick to work this month"),
    "lost_disability_m": (np.float64, ("health",), "monthly earnings of workers lost to "
                          "disability (booked as a loss every month)"),
    "lost_aging_m": (np.float64, ("health",), "monthly earnings of workers who aged out of "
                     "work (booked as a loss every month)"),
    "land": (np.float64, ("init", "decisions"), "contracted farmland in use, mu (less "
             "after distress sales)"),
    "land_let": (np.float64, ("work_income", "decisions"), "farmland let for the year, "
                 "mu (leases each January; less after distress sales)"),
    "rent_free": (np.bool_, ("work_income",), "the household lends its let land to kin "
                  "and neighbours without rent (drawn at its first lease, kept)"),
    "rent_m": (np.float64, ("work_income", "decisions"), "rent the household's lease pays "
               "this month, yuan (fixed each January; 0 when rent-free)"),
    "education": (np.float64, ("init",), "schooling of head, years"),
    "registered": (np.bool_, ("init",), "registered poor at some time in 2014-2020"),
    "dibao": (np.bool_, ("init", "implementers", "social"), "enrolled in the minimum living "
              "guarantee"),
    "n_migrants": (np.int16, ("init", "health", "work_income", "decisions"),
                   "members working outside the county"),
    "n_jobless": (np.int16, ("work_income", "decisions"), "migrants home after losing a "
                  "job, looking again"),
    "lost_job_now": (np.bool_, ("work_income",), "a migrant lost a job this month"),
    "lost_assets_m": (np.float64, ("decisions",), "farm income no longer earned after "
                      "distress sales of productive assets, yuan/month"),
    "asset_proceeds_m": (np.float64, ("decisions",), "what distress sales fetched this "
                         "month, yuan (assets turned into money: not income)"),
    "n_distress_sales": (np.int16, ("decisions",), "distress sales of productive assets "
                         "so far"),
    "n_school_leavers": (np.int16, ("decisions",), "children who left school to work "
                         "and could still go back (counted among the workers)"),
    "n_left_school": (np.int16, ("init", "decisions"), "children the household has taken out of "
                      "school to work, all told"),
    "local_workers": (np.float32, ("work_income",), "members in local wage work this "
                      "month (expected worker-equivalents: enterprise job, post, casual work)"),
    "skills": (np.float64, ("init", "learning", "decisions"), "skill level 0-1"),
    "motivation": (np.float64, ("init", "learning"), "motivation (endogenous driving "
                   "force) 0-1"),
    "trust": (np.float64, ("init",), "trust in cadres 0-1"),
    "disposition": (np.float64, ("init",), "the motivation a household returns to, 0-1"),
    "health_literate": (np.bool_, ("init",), "has basic health literacy: follows health "
                        "management, seeks care promptly"),
    "psych_distress": (np.float64, ("learning",), "psychological distress 0-1 (P County's "
                       "'psychological poverty'): rises with illness, job loss and debt, "
                       "fades, faster when treated; saps motivation"),
    "inc_farm_m": (np.float64, ("work_income",), "net farm and household-business income"),
    "business": (np.bool_, ("init", "decisions"), "runs a small household business (a "
                 "shop, transport, processing): a member at home works in it"),
    "inc_business_m": (np.float64, ("work_income",), "the household business's net income "
                       "this month (part of inc_farm_m: NBS counts it as net business "
                       "income)"),
    "business_invested_m": (np.float64, ("decisions",), "savings invested this month in "
                            "starting a household business, yuan (money turned into a "
                            "business: not spending)"),
    "lost_business_m": (np.float64, ("decisions",), "income of a household business that "
                        "failed, until the household starts another (booked as "
                        "business_failure every month)"),
    "inc_wage_m": (np.float64, ("work_income",), "local wages"),
    "inc_remit_m": (np.float64, ("work_income",), "migrant remittances (NBS: transfer "
                    "income)"),
    "inc_property_m": (np.float64, ("work_income",), "property income"),
    "inc_public_m": (np.float64, ("work_income",), "public transfers: pension, subsidies, "
                     "support, dibao, schooling subsidy, relief and grants"),
    "sp_consumption_m": (np.float64, ("spending",), "consumption"),
    "sp_medical_m": (np.float64, ("spending",), "out-of-pocket medical spending"),
    "sp_schooling_m": (np.float64, ("spending",), "schooling"),
    "sp_interest_m": (np.float64, ("spending",), "interest on debt and loans"),
    "loan_interest_m": (np.float64, ("work_income",), "interest due this month on loans "
                        "from instruments, after any interest subsidy"),
    "sp_repairs_m": (np.float64, ("spending",), "repairs after a disaster"),
    "reimbursed_m": (np.float64, ("spending",), "medical costs paid by insurance/assistance"),
    "savings": (np.float64, ("init", "spending", "decisions"), "savings, yuan"),
    "debt": (np.float64, ("init", "spending", "decisions"), "debt, yuan"),
    # -- set by implementers, industry and the social sector (acted on next month)
    "monitored": (np.bool_, ("implementers",), "in return-to-poverty monitoring"),
    "category": (np.int8, ("implementers",), "monitoring category: 0 none, 1 unstable "
                 "lifted-out, 2 marginal, 3 sudden severe hardship"),
    "monitored_since": (np.int32, ("implementers",), "month monitoring began (NO_MONTH: "
                        "never)"),
    "helped_since": (np.int32, ("implementers",), "month the assistance bundle arrived"),
    "help_fitted": (np.bool_, ("implementers",), "the team that brought the assistance "
                    "bundle identified the cause of the risk"),
    "risk_cause": (np.int8, ("implementers",), "cause of the risk measured at inclusion "
                   "(index into the causes; NO_ID: none)"),
    "risk_start": (np.int32, ("implementers",), "month the risk that led to monitoring "
                   "began"),
    "stable_months": (np.int16, ("implementers",), "months above the exit line while "
                      "monitored"),
    "exited_month": (np.int32, ("implementers",), "month risk was last declared eliminated"),
    "flag_due": (np.int32, ("implementers",), "month a pending flag reaches the township"),
    "flag_channel": (np.int8, ("implementers",), "channel of the pending flag: 1 "
                     "self-application, 2 cadre visit, 3 data screen"),
    "in_post": (np.bool_, ("implementers", "social"), "a member holds a public-welfare post"),
    "lost_post_m": (np.float64, ("implementers",), "wage of a public-welfare post lost on "
                    "leaving monitoring, until the household holds a post again"),
    "employer": (np.int32, ("init", "industry"), "index of the enterprise employing a member "
                 "locally (NO_ID: none)"),
    "lost_job_m": (np.float64, ("industry",), "wage of an enterprise job lost when the "
                   "enterprise failed, until the household is hired again"),
    "lost_dividend_m": (np.float64, ("industry",), "dividend lost when the linked enterprise "
                        "failed, until the household is linked again"),
    "coop": (np.int32, ("init", "industry", "environment"), "index of the enterprise the "
             "household is linked to (NO_ID: none)"),
    "dividend_due_m": (np.float64, ("work_income", "industry"), "dividend owed, paid next "
                       "month"),
    "doctor_contract": (np.bool_, ("init", "environment"), "chronic patient has a "
                        "family-doctor contract that the clinic serves (not one signed "
                        "on paper only)"),
    "ca_buyer": (np.bool_, ("init", "environment"), "a paired enterprise buys the "
                 "household's products"),
    "clinic_access": (np.float64, ("init",), "access to the township clinic, 0-1"),
    "pending_transfer_m": (np.float64, ("work_income", "implementers", "social"),
                           "one-off help (relief, grants) to be paid next month, credited "
                           "through credit()"),
    "training_gain": (np.float64, ("learning", "implementers", "social"), "skill gained from "
                      "training, applied by learning"),
    "support_gain": (np.float64, ("learning", "social"), "motivation gained from social "
                     "work, applied by learning"),
    # -- status
    "at_risk": (np.bool_, ("status",), "meets the monitoring inclusion rule (the truth)"),
    "risk_since": (np.int32, ("status",), "month the household last became at risk"),
    "rigid_12m": (np.float64, ("status",), "out-of-pocket medical and schooling spending "
                  "over about a year"),
    "income_recent_m": (np.float64, ("status",), "income before medical bills, 3-month "
                        "moving average"),
    "oop_year": (np.float64, ("spending",), "out-of-pocket medical spending this calendar "
                 "year"),
    "help_m": (np.float64, ("work_income", "spending"), "instrument help received this "
               "month (posts, support, dibao, schooling, relief, dividends, extra "
               "reimbursement)"),
    "poor": (np.bool_, ("status",), "disposable income per person below the poverty line"),
    "ever_exited": (np.bool_, ("init", "status"), "has left poverty (registered or during "
                    "the run)"),
    "income_pc_year": (np.float64, ("status",), "disposable income per person, last 12 "
                       "months"),
    "income_pc_gross_year": (np.float64, ("status",), "income per person over the last 12 "
                             "months before out-of-pocket medical spending (what the "
                             "monitoring rule's income test reads)"),
}
COLUMNS = {**BASE_COLUMNS, **registry.declared_columns()}

INCOME_COLUMNS = ("inc_farm_m", "inc_wage_m", "inc_remit_m", "inc_property_m", "inc_public_m")
SPENDING_COLUMNS = ("sp_consumption_m", "sp_medical_m", "sp_schooling_m", "sp_interest_m",
                    "sp_repairs_m")
MONTH_COLUMNS = ("monitored_since", "helped_since", "exited_month", "flag_due", "risk_since",
                 "risk_start")
ID_COLUMNS = ("employer", "coop", "risk_cause")
# Starting value of columns that are not zero: "never" for months, "none" for indices,
# and whatever the instruments declare for theirs.
FILL = {**{k: NO_MONTH for k in MONTH_COLUMNS}, **{k: NO_ID for k in ID_COLUMNS},
        **registry.declared_fills()}


class ColumnWriteError(AssertionError):
    """A phase wrote a household column it is not declared to write."""


class Households:
    """Structure of arrays for all households of a county."""

    def __init__(self, n: int, village: np.ndarray, township: np.ndarray):
        self.n = n
        self.village = village
        self.township = township
        for name, (dtype, _phases, _doc) in COLUMNS.items():
            setattr(self, name, np.zeros(n, dtype=dtype))
        for name, value in FILL.items():
            getattr(self, name)[:] = value
        # Income lost each month by cause (yuan), a ring of LEDGER_MONTHS months.
        self._losses = np.zeros((len(CAUSES), LEDGER_MONTHS, n), dtype=np.float32)
        self.ledger_pos = 0  # row of the current month
        # The causes whose row of the current month still holds the losses of 24 months
        # ago: cleared by their first booking of the month (written, not added to) or
        # when the ledger is read (``losses``), whichever comes first.
        self._stale = np.zeros(len(CAUSES), dtype=np.bool_)
        self.booked_month = np.zeros(len(CAUSES))  # county total booked this month, by cause
        self.net_hist = np.zeros((12, n))  # monthly disposable income, ring buffer
        self.net_sum = np.zeros(n)  # sum of net_hist rows
        self.oop_hist = np.zeros((12, n))  # monthly out-of-pocket medical spending, ring
        self.oop_sum = np.zeros(n)  # sum of oop_hist rows
        self.hist_pos = 0
        self.hist_filled = 0  # months of history so far (up to 12)
        self.lease_terms_drawn = False  # rent_free drawn (abm.households.land)
        # Acute episodes started in each of the last 12 months, and of them those whose
        # household could not pay its expected share of the bill from its savings (the
        # health phase appends; the Smith measures read the year).
        self.care_log: deque[tuple[int, int]] = deque(maxlen=12)
        # Reimbursements of past medical bills (``credit_bills``), each as (the month the
        # money arrives, households, the amounts by months back before the month it was
        # granted); the status phase books them against the months of the bills.
        self.bill_credits: list[tuple[int, np.ndarray, np.ndarray]] = []

    # -- the loss ledger: the one declared hook through which phases report losses
    @property
    def losses(self) -> np.ndarray:
        """The ledger: income lost by cause, month and household (yuan, float32; causes x
        ``LEDGER_MONTHS`` x households, the current month at ``ledger_pos``)."""
        self._clear_stale()
        return self._losses

    def _clear_stale(self) -> None:
        if self._stale.any():
            for k in np.flatnonzero(self._stale).tolist():
                self._losses[k, self.ledger_pos] = 0.0
            self._stale[:] = False

    def new_ledger_month(self, month: int) -> None:
        """Start the month's row of the ledger (the environment phase calls this): zeros,
        written by each cause's first booking of the month (``book``) or when the ledger
        is read (``losses``), instead of cleared here and written again (the same
        numbers; a month at 200,000 households 0.7 to 0.9 ms shorter)."""
        self._clear_stale()  # (rows last month left stale, if nobody read the ledger)
        self.ledger_pos = month % LEDGER_MONTHS
        self._stale[:] = True
        self.booked_month[:] = 0.0

    def book(self, cause: str, amount: np.ndarray | float, where: np.ndarray | None = None):
        """Income lost this month to ``cause`` (yuan; a flow, booked every month the loss
        lasts), for all households or those in the mask ``where``."""
        k = CAUSE_INDEX[cause]
        row = self._losses[k, self.ledger_pos]
        fresh = bool(self._stale[k])  # (the row still holds the month 24 months ago)
        self._stale[k] = False
        # One compiled pass for a float64 amount per household (the same bits as numpy's
        # ``row += amount`` and ``row[where] += amount[where]``, and for all households
        # numpy's sum of the amounts too), numpy's otherwise.
        per_hh = (isinstance(amount, np.ndarray) and amount.dtype == np.float64
                  and amount.shape == row.shape and row.dtype == np.float32)
        if where is None:
            if per_hh:
                from abm import kernels  # (not at import: the config needs no numba)

                # the row in one compiled pass, then numpy's sum of the amounts (numpy's
                # SIMD pairwise sum is faster than the same order reproduced in the pass)
                kernels.book_all(row, amount, fresh)
                self.booked_month[k] += float(np.sum(amount))
                return
            if fresh:
                row[:] = 0.0
            row += amount
            self.booked_month[k] += float(np.sum(amount)) if not np.isscalar(amount) else (
                amount * self.n)
        else:
            if per_hh and isinstance(where, np.ndarray) and where.dtype == np.bool_ and (
                    where.shape == row.shape):
                from abm import kernels

                add = kernels.book_where(row, amount, where, fresh)
            else:
                if fresh:
                    row[:] = 0.0
                add = amount if np.isscalar(amount) else amount[where]
                row[where] += add
            self.booked_month[k] += float(np.sum(add)) if not np.isscalar(add) else (
                add * int(np.count_nonzero(where)))

    def loss_years(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Losses by cause over the last 12 months and the 12 before, for households
        ``idx`` (each of shape causes x len(idx), yuan)."""
        order = (self.ledger_pos - np.arange(LEDGER_MONTHS)) % LEDGER_MONTHS
        if isinstance(idx, np.ndarray) and idx.ndim == 1 and idx.dtype.kind in "iu" and (
                idx.size and self.losses.dtype == np.float32):
            from abm import kernels, parallel  # (not at import: the config needs no numba)

            # One pass: the same sums, in the same order, as the numpy lines below.
            if idx.size >= SPLIT_LOSS_YEARS and parallel.current() >= 2:
                # The later causes on the other thread meanwhile (each cause's rows are
                # its own; about 2.5 us a household, mostly memory reads).
                h = self.losses.shape[0] // 2
                later = parallel.later(lambda: kernels.loss_years(self.losses[h:], idx, order))
                lower = kernels.loss_years(self.losses[:h], idx, order)
                upper = later()
                return (np.concatenate([lower[0], upper[0]]),
                        np.concatenate([lower[1], upper[1]]))
            return kernels.loss_years(self.losses, idx, order)
        sub = self.losses[:, :, idx].astype(np.float64)
        return sub[:, order[:12]].sum(axis=1), sub[:, order[12:]].sum(axis=1)

    def causes_of(self, idx: np.ndarray, line_rise: float = 0.0
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Measured primary and secondary cause of each listed household's fall.

        By counterfactual: for each cause, how much higher the household's 12-month income
        would be without the change it brought against the household's own previous year
        (losses this year minus losses the year before); for a policy cause, without the
        loss at all (the transfer as the policy kept it). The line's own rise (``line_rise``
        yuan/person over the year, times members) competes as ``low_income``. The primary
        cause moves income most; the secondary is the next one that moves it at all.
        """
        idx = np.asarray(idx, dtype=np.int64)
        names = np.array(RETURN_CAUSES + ("",), dtype=object)
        if idx.size == 0:
            return names[:0], names[:0]
        now, before = self.loss_years(idx)
        if now.dtype == np.float64 and before.dtype == np.float64 and now.ndim == 2:
            from abm import kernels  # (not at import: the config needs no numba)

            # The lines below in one compiled pass (the same causes).
            primary, secondary = kernels.cause_ranks(now, before, POLICY_MASK,
                                                     float(line_rise),
                                                     self.size, idx)
            return names[primary], names[secondary]
        return self.causes_of_numpy(idx, line_rise)

    def causes_of_numpy(self, idx: np.ndarray, line_rise: float = 0.0
                        ) -> tuple[np.ndarray, np.ndarray]:
        """``causes_of`` in numpy's lines (the compiled pass's reference): the scores
        ranked by a stable argsort, of which the first two rows are used."""
        idx = np.asarray(idx, dtype=np.int64)
        names = np.array(RETURN_CAUSES + ("",), dtype=object)
        if idx.size == 0:
            return names[:0], names[:0]
        now, before = self.loss_years(idx)
        score = now - before
        for c in POLICY_CAUSES:
            score[CAUSE_INDEX[c]] = now[CAUSE_INDEX[c]]
        line = line_rise * self.size[idx].astype(np.float64)
        score = np.vstack([score, line[None, :]])  # row len(CAUSES): low_income
        order = np.argsort(-score, axis=0, kind="stable")
        first, second = order[0], order[1]
        cols = np.arange(idx.size)
        top = score[first, cols]
        primary = np.where(top > 0, first, len(CAUSES))
        secondary = np.where((score[second, cols] > 0) & (top > 0), second, len(CAUSES) + 1)
        return names[primary], names[secondary]

    def credit(self, amounts: np.ndarray, where: np.ndarray) -> None:
        """One-off help (already paid from a budget line) that reaches households next
        month: the declared hook for agents that give money."""
        self.pending_transfer_m[where] += amounts

    def credit_bills(self, paid: np.ndarray, by_month: np.ndarray, where: np.ndarray,
                     month: int) -> None:
        """A reimbursement of past medical bills (already paid from a budget line):
        ``paid`` per household of ``where``, of which ``by_month[j, k]`` is for household
        ``where[j]``'s bills of ``k`` months before ``month``. The money reaches the
        household next month, as :meth:`credit`'s does; that month the status phase books
        it against the months of the bills, which were that much smaller
        (:func:`abm.households.status.book_bill_credits`), not as that month's income:
        so it leaves the 12-month income when its bills do."""
        self.credit(paid, where)
        self.bill_credits.append((month + 1, where, by_month))

    def income_m(self) -> np.ndarray:
        return self._column_sum(INCOME_COLUMNS)

    def spending_m(self) -> np.ndarray:
        return self._column_sum(SPENDING_COLUMNS)

    def _column_sum(self, names: tuple[str, ...]) -> np.ndarray:
        """``sum(columns)`` added left to right as Python's ``sum`` does (``0 + a + b +
        ...``, so the same rounding and signed zeros), into one new array."""
        cols = [getattr(self, c) for c in names]
        if any(c.dtype != np.float64 for c in cols):
            return sum(cols)
        out = cols[0] + 0.0
        for c in cols[1:]:
            out += c
        return out

    # -- one writer per column, checked
    def snapshot(self) -> dict[str, np.ndarray]:
        """Copies of every column (for :meth:`check_writes`)."""
        return {name: getattr(self, name).copy() for name in COLUMNS}

    def check_writes(self, phase: str, before: dict[str, np.ndarray]) -> None:
        """Raise if ``phase`` changed a column it is not declared to write."""
        bad = [name for name, old in before.items()
               if phase not in COLUMNS[name][1]
               and not np.array_equal(old, getattr(self, name), equal_nan=True)]
        if bad:
            raise ColumnWriteError(f"phase {phase!r} wrote {', '.join(bad)}, which it is not "
                                   "declared to write (abm/households/state.py COLUMNS)")

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Household:
        if not -self.n <= i < self.n:
            raise IndexError(f"household {i} out of range 0..{self.n - 1}")
        return Household(self, int(i) % self.n)

    def table(self, idx: np.ndarray | slice | None = None) -> dict[str, np.ndarray]:
        """Selected columns for a set of households (for inspectors and exports)."""
        idx = slice(None) if idx is None else idx
        out = {"household": np.arange(self.n)[idx], "village": self.village[idx],
               "township": self.township[idx]}
        for name in COLUMNS:
            out[name] = getattr(self, name)[idx]
        out["income_m"] = self.income_m()[idx]
        return out


@dataclass(frozen=True)
class Household:
    """A view of one household: attributes read from and written to the arrays."""

    _hh: Households
    id: int

    def __getattr__(self, name: str) -> Any:
        if name in COLUMNS or name in ("village", "township"):
            return getattr(self._hh, name)[self.id].item()
        raise AttributeError(f"Household has no attribute {name!r}")

    def set(self, **values: Any) -> None:
        for name, v in values.items():
            if name not in COLUMNS:
                raise AttributeError(f"Household has no column {name!r}")
            getattr(self._hh, name)[self.id] = v

    def as_dict(self) -> dict[str, Any]:
        d = {"id": self.id, "village": self.village, "township": self.township}
        d.update({name: getattr(self, name) for name in COLUMNS})
        d["income_m"] = float(self._hh.income_m()[self.id])
        now, _ = self._hh.loss_years(np.array([self.id]))
        d["losses"] = {c: float(now[i, 0]) for i, c in enumerate(CAUSES)}
        return d

    def __repr__(self) -> str:
        return (f"Household({self.id}, village={self.village}, size={self.size}, "
                f"income_pc_year={self.income_pc_year:.0f}, poor={self.poor})")
