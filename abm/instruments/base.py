"""What a policy instrument is: one class that declares everything about it.

An instrument declares its config section (under ``policy:``), its budget lines and
their payers, the household columns and loss causes it adds, what "ideal" means for it
in the attribution, and the hooks through which it acts. The registry
(``abm.instruments.registry``) is built from these classes; nothing else lists
instruments by name. Hooks are plain methods; the base class does nothing in each, and
a phase calls only the instruments that override the hook (see ``Instruments.hooked``).

Hooks, by the phase that calls them (docs/extending.md has an example):

- ``roster_2020(hh)``                 January 2020: enrol the 2020 roster
- ``allocate(hh, ctx)``              each January: yuan for each bounded line it owns
- ``acute_risk(hh, ctx, rel)``       health: adjust households' acute-illness risk
- ``income(hh, ctx, inc)``           work_income: pay money into this month's ``Income``,
                                     in ``pays_at`` order
- ``top_up(hh, ctx, inc)``           work_income, after every other income is known
- ``medical(hh, ctx, bill)``         spending: pay part of this month's medical bills,
                                     in ``covers_at`` order
- ``anticipate(hh, ctx, idx, bill)`` health: what households expect ``medical`` to pay
                                     of a new episode's bill (nothing is paid)
- ``job_placements(hh, ctx, ...)``   decisions: placements bought for jobless migrants
- ``decide(hh, ctx)``                decisions: households' own choices about the
                                     instrument (e.g. taking a loan)
- ``deliver(hh, idx, able, s)``      implementers: part of the assistance bundle a
                                     village team brings to monitored households
- ``on_include(hh, idx, s)``         implementers: households just included in
                                     monitoring (what inclusion brings at once)
- ``on_exit(hh, idx, s)``            implementers: a household's risk is declared
                                     eliminated (what it loses)
- ``monthly(s)``                     social: an emergency response run by the county
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from abm.params import InstrumentConfig

if TYPE_CHECKING:
    from abm.config import Config
    from abm.rng import Streams


@dataclass(frozen=True)
class BudgetLine:
    """A line of public (or donated) money and who pays it."""

    name: str
    payer: str
    kind: str = "cash"  # where the money goes: "cash" to households this month,
    # "credit" to households next month (Households.credit), "service" bought for them
    # (a seat, a contract, a case-month), "firm" to enterprises or banks
    bounded: bool = True  # False: an entitlement, paid whatever the year's allocation
    targeted: bool = True  # False: paid to all (pension, farm subsidy, basic insurance)
    social_sector: bool = False  # paid by charities, paired enterprises, social work

    def __post_init__(self) -> None:
        if self.kind not in ("cash", "credit", "service", "firm"):
            raise ValueError(f"budget line {self.name}: kind must be cash, credit, service "
                             f"or firm, not {self.kind!r}")


# Causes of risk that medical and social-assistance help answers (the help fitted to them).
ILLNESS_CAUSES = ("illness", "disability")

def same_columns(*arrays) -> bool:
    """Float64 arrays of one shape (one value per household)."""
    first = arrays[0]
    return all(isinstance(a, np.ndarray) and a.dtype == np.float64 and a.ndim == 1
               and a.shape == first.shape for a in arrays)


class _ZerosWhenRead:
    """Columns of zeros (``ZEROS``) made only when first read: an attribute in
    ``ZEROS`` not set yet is made as zeros of ``_zeros_size()`` entries (``_made`` is
    told), so a payment may write one it is the first into instead (``0.0 + x``)."""

    ZEROS: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> np.ndarray:
        # (only for attributes not set: the zeros not made yet)
        if name not in type(self).ZEROS:
            raise AttributeError(name)
        zeros = np.zeros(self._zeros_size())
        setattr(self, name, zeros)
        self._made(name, zeros)
        return zeros

    def _zeros_size(self) -> int:
        raise NotImplementedError

    def _made(self, name: str, zeros: np.ndarray) -> None:
        """A column of zeros was just made (by default nothing else to do)."""


class Income(_ZerosWhenRead):
    """This month's income being assembled in the work-and-income phase.

    Earned income by source comes first; instruments then add what they pay, each to
    an NBS income source, and say whether it is targeted help (``help_m``).

    The arrays handed to it become its own: ``add`` adds to them in place. Public
    transfers and help start as zeros, made when first read; the first payment into
    one is written as ``0.0 + amounts`` (numpy's ``zeros + amounts``) in the payment's
    own pass, without a column of zeros first.
    """

    ZEROS = ("public", "help")

    def __init__(self, farm: np.ndarray, wage: np.ndarray, remit: np.ndarray,
                 prop: np.ndarray, home: np.ndarray):
        self.n = farm.size
        self.farm = farm  # net farm and household business
        self.wage = wage
        self.remit = remit
        self.property = prop
        # public transfers, and targeted help among all of the above: zeros, made when
        # first read or written by the first payment (``__getattr__``, ``add``)
        self.home = home  # members working at home this month (not away, not sick)

    def _zeros_size(self) -> int:
        return self.n

    def add(self, source: str, amounts: np.ndarray, help: bool = True,
            keep: np.ndarray | None = None, clear: bool = False) -> None:
        """``source += amounts`` and, for targeted help, ``help += amounts`` (the same
        numbers as numpy's ``source + amounts``; in place for one float64 amount per
        household, in one compiled pass: ``abm.kernels.add_into``). ``keep``: a column
        the amounts are also copied into; ``clear``: the amounts are then set to zero
        (a column that has been paid out)."""
        made = self.__dict__
        extra = () if keep is None else (keep,)
        if source != "help" and same_columns(amounts, *extra) and amounts.shape == (
                self.n,):
            from abm import kernels  # (not at import: the config needs no numba)

            fresh_a = source in Income.ZEROS and source not in made
            fresh_b = help and "help" not in made
            cur = np.empty(self.n) if fresh_a else getattr(self, source)
            aid = (np.empty(self.n) if fresh_b else self.help) if help else kernels.NONE
            if same_columns(cur, amounts) and (not help or same_columns(aid, amounts)):
                kernels.add_into(cur, amounts, aid, kernels.NONE if keep is None else keep,
                                 clear, fresh_a=fresh_a, fresh_b=fresh_b)
                if fresh_a:
                    setattr(self, source, cur)
                if fresh_b:
                    self.help = aid
                return
        cur = getattr(self, source)
        if keep is not None:
            keep[:] = amounts
        setattr(self, source, cur + amounts)
        if help:
            self.help = self.help + amounts
        if clear:
            amounts[:] = 0.0

    def total(self) -> np.ndarray:
        return self.farm + self.wage + self.remit + self.property + self.public


class MedicalBill(_ZerosWhenRead):
    """This month's medical costs, and who has paid how much of them so far.

    The arrays the bill made itself (its zeros, and what is left for the household once
    something is paid) are added into in place by ``pay`` and ``add_withheld``, so an
    array read from the bill before a payment is not kept; the costs handed in, and any
    array an instrument sets, are never written.

    The zeros (``outpatient_insured``, ``insured``, ``assisted``, ``withheld``) are made
    when first read, and a payment into one not made yet writes the payment itself
    (``0.0 + paid``, numpy's ``zeros + paid``): a month's bill at 200,000 households
    writes no column of zeros only to add to it or set it (basic insurance sets its
    routine care's share). ``withheld`` is made when an instrument adds to it
    (``add_withheld``); the spending phase takes a bill without one as withholding
    nothing (:meth:`made`)."""

    ZEROS = ("outpatient_insured", "insured", "assisted", "withheld")
    OWN = ("insured", "assisted", "withheld")  # added into in place

    def __init__(self, cost: np.ndarray, outpatient: np.ndarray | None = None):
        self.cost = cost
        # routine outpatient care (part of cost), and the rest: inpatient and chronic care
        self.outpatient = np.zeros(cost.size) if outpatient is None else outpatient
        self.inpatient = cost - self.outpatient
        self.oop = cost  # what is left for the household
        # of insured: routine care; basic and critical-illness insurance; medical
        # assistance, the cap; of which the withdrawn policy would have paid: made when
        # first read or paid into (``__getattr__``, ``pay``)
        self._own: dict[str, np.ndarray] = {}  # (the bill's own arrays, by name)

    def _zeros_size(self) -> int:
        return self.cost.size

    def _made(self, name: str, zeros: np.ndarray) -> None:
        if name in MedicalBill.OWN:
            self._own[name] = zeros

    def made(self, name: str) -> np.ndarray | None:
        """One of the bill's zeros if it was made (read, paid into or set), else None."""
        return self.__dict__.get(name)

    def pay(self, kind: str, paid: np.ndarray) -> None:
        """``kind += paid`` and ``oop -= paid`` (numpy's ``+`` and ``-``, the same bits):
        one compiled pass, in place, for float64 amounts into the bill's own arrays (or
        into a new one, for a kind not paid yet); new arrays otherwise."""
        cur = self.__dict__.get(kind)
        fresh = cur is None and kind in MedicalBill.OWN and same_columns(self.oop, paid)
        if fresh:  # (not paid into or read yet: the payment is written, not added)
            cur = self._own[kind] = np.empty(paid.size)
            setattr(self, kind, cur)
        elif cur is None:
            cur = getattr(self, kind)  # (its zeros)
        if self._own.get(kind) is cur and same_columns(cur, self.oop, paid):
            from abm import kernels  # (not at import: the config needs no numba)

            own_oop = self._own.get("oop") is self.oop
            out = self.oop if own_oop else np.empty_like(self.oop)
            kernels.pay_into(cur, self.oop, out, paid, fresh)
            self.oop = self._own["oop"] = out
            return
        setattr(self, kind, cur + paid)
        self.oop = self.oop - paid

    def add_withheld(self, full: np.ndarray, share: float) -> None:
        """``withheld = withheld + full * share`` (what a withdrawn ``share`` of a
        payment of ``full`` would have paid), in place into the bill's own array for
        float64 amounts (the same bits)."""
        withheld = self.withheld  # (its zeros made if not yet)
        if self._own.get("withheld") is withheld and same_columns(withheld, full):
            from abm import kernels

            kernels.add_product_into(withheld, full, float(share))
            return
        self.withheld = withheld + full * share


class Instrument:
    """Base class of every policy instrument (one subclass per module)."""

    name: ClassVar[str] = ""  # key in levels and, with Config, the section under policy
    order: ClassVar[int] = 0  # position in the config, the budget and the outputs
    label: ClassVar[str] = ""  # human name (English / Chinese)
    Config: ClassVar[type[InstrumentConfig] | None] = None  # its section, or None
    calendar_of: ClassVar[str | None] = None  # another section whose calendar it follows
    always_on: ClassVar[bool] = False  # in force whenever enabled (never withdrawn)
    lines: ClassVar[tuple[BudgetLine, ...]] = ()
    causes: ClassVar[tuple[str, ...]] = ()  # loss causes it adds to the ledger
    columns: ClassVar[dict[str, tuple[Any, tuple[str, ...], str]]] = {}
    fills: ClassVar[dict[str, Any]] = {}  # starting values of its columns (default 0)
    ideal: ClassVar[dict[str, Any]] = {}  # attribution's ideal policy, keys in its section
    pays_at: ClassVar[int] = 0  # order of ``income`` hooks within the month
    covers_at: ClassVar[int] = 0  # order of ``medical`` hooks within the month
    # Causes of risk this instrument's ``deliver`` answers (the help fitted to the cause):
    # a team that has diagnosed the cause brings it only for these; () means it is part
    # of the uniform bundle every monitored household gets.
    fits_causes: ClassVar[tuple[str, ...]] = ()  # e.g. ILLNESS_CAUSES
    streams: ClassVar[tuple[str, ...]] = ()  # named random streams it draws from
    results: ClassVar[tuple[Any, ...]] = ()  # abm.results.Result it adds to the outputs

    def __init__(self, cfg: Config, streams: Streams | None = None):
        self.cfg = cfg
        self.policy = cfg.policy
        section = self.section()
        self.p = getattr(cfg.policy, section) if section else None
        if streams is None:
            from abm.rng import Streams

            streams = Streams(cfg.run.seed)
        self.rng = {name: streams[name] for name in self.streams}

    @classmethod
    def section(cls) -> str | None:
        """The config section under ``policy`` this instrument reads, if any."""
        return cls.name if cls.Config is not None else cls.calendar_of

    # -- the calendar
    def level(self, cal, month: int) -> float:
        """Share of the instrument in force in ``month``: 0 outside its years or when
        off; 1 during the transition; then falling linearly to ``kept_after_transition``
        over ``policy.withdrawal_months``."""
        p = self.p
        if p is None:
            return 1.0
        if self.always_on:
            return 1.0 if p.enabled else 0.0
        year = cal.year(month)
        if not p.enabled or year < p.start_year or year > p.end_year:
            return 0.0
        end_month = cal.month_of(self.policy.transition_end_year + 1)
        if month < end_month:
            return 1.0
        kept = p.kept_after_transition
        w = self.policy.withdrawal_months
        if w == 0:
            return kept
        frac = min(1.0, (month - end_month + 1) / w)
        return 1.0 - frac * (1.0 - kept)

    def measure(self, model) -> dict[str, float]:
        """This month's values of the ``results`` it declares (pure)."""
        return {}

    def start_of_run(self) -> None:
        """Month 0: running counts (for the measures) restart; state is kept."""
        return None

    def withdrawn(self, cal, month: int) -> float:
        """Share of the instrument withdrawn in ``month``: 1 - level once it has started
        (it existed, and the policy took it back), 0 before it starts or when it is off
        altogether. What is withheld is booked as ``policy_withdrawal`` every month."""
        p = self.p
        if p is None or self.always_on or not p.enabled or cal.year(month) < p.start_year:
            return 0.0
        return 1.0 - self.level(cal, month)

    @staticmethod
    def indexed(amount: float, growth_year: float, ctx) -> float:
        """``amount`` (its 2021 level) raised each January by ``growth_year``."""
        return amount * (1.0 + growth_year) ** (ctx.year - 2021)

    def at_level(self, full: np.ndarray, ctx) -> np.ndarray:
        """``full * ctx.levels[name]``, the payment at this month's level: ``full``
        itself at level 1 for float64 amounts (``x * 1.0`` is ``x``, bit for bit; a budget
        line pays a copy)."""
        level = ctx.levels[self.name]
        if level == 1.0 and isinstance(full, np.ndarray) and full.dtype == np.float64:
            return full
        return full * level

    def withhold(self, hh, ctx, full: np.ndarray) -> None:
        """Book what the withdrawn share of ``full`` (the payment at full level) takes
        from households this month."""
        share = ctx.withdrawn.get(self.name, 0.0)
        if share > 0:
            hh.book("policy_withdrawal", full * share)

    # -- hooks (the base class does nothing)
    def roster_2020(self, hh) -> None:
        return None

    def allocate(self, hh, ctx) -> dict[str, float]:
        return {}

    def acute_risk(self, hh, ctx, rel: np.ndarray) -> np.ndarray:
        return rel

    def income(self, hh, ctx, inc: Income) -> None:
        return None

    def top_up(self, hh, ctx, inc: Income) -> None:
        return None

    def medical(self, hh, ctx, bill: MedicalBill) -> None:
        return None

    def anticipate(self, hh, ctx, idx: np.ndarray, bill: MedicalBill) -> None:
        """What households ``idx`` expect this instrument to pay of a new episode's bill
        (``bill``, one entry per household of ``idx``): as ``medical`` would by the
        household's entitlement, without paying anything (they do not know whether the
        money will last). The health phase compares what is left with their savings."""
        return None

    def job_placements(self, hh, ctx, p_again: np.ndarray, u: np.ndarray,
                       again_plain: np.ndarray) -> np.ndarray | None:
        return None

    def decide(self, hh, ctx) -> None:
        return None

    def keeps_in_school(self, hh, ctx, idx: np.ndarray) -> np.ndarray | None:
        """Which of households ``idx`` have school children this instrument supports this
        month (a household in distress takes none of them out to work, and a school
        leaver of theirs may go back: ``abm.households.decisions.leaving_school``), one
        bool per household of ``idx``; None: none of them."""
        return None

    def deliver(self, hh, idx: np.ndarray, able: np.ndarray, s) -> None:
        return None

    def on_include(self, hh, idx: np.ndarray, s) -> None:
        return None

    def on_exit(self, hh, idx: np.ndarray, s) -> None:
        return None

    def monthly(self, s) -> None:
        return None


HOOKS = ("roster_2020", "allocate", "acute_risk", "income", "top_up", "medical",
         "anticipate", "job_placements", "decide", "keeps_in_school", "deliver", "on_include",
         "on_exit", "monthly", "measure")
