"""Public-welfare posts (rangers, cleaners, ...): a village team gives a post to an
able member of a monitored household, within the county's quota, for a term; the post
pays a wage while a member works at home, is renewed at the end of its term while the
household is monitored and still has someone at home free to hold it, and is lost when
the household leaves monitoring."""

from __future__ import annotations

import numpy as np

from abm import rules
from abm.instruments.base import BudgetLine, Income, Instrument, same_columns
from abm.params import ASSUMPTION, InstrumentConfig, P


class PublicPostsConfig(InstrumentConfig):
    """Public-welfare posts (rangers, cleaners, ...)."""

    quota_per_1000: float = P(15.0, unit="posts per 1000 households", doc="Posts the county "
                              "funds", ge=0, le=1000, source="4.95 M poor people in posts in "
                              "22 provinces, 2020 (Guangming Daily), order of magnitude")
    wage_month: float = P(833.0, unit="yuan/month", doc="Post pay in 2021", ge=0, le=100_000,
                          source="forest ranger about 10,000 yuan/yr (CGTN 2019-02)")
    wage_growth_year: float = P(0.045, unit="per year", doc="Yearly rise of post pay, raised "
                                "each January (posts pay about the local wage standard)",
                                ge=0, le=0.5, source=ASSUMPTION)
    term_months: int = P(12, unit="months", doc="Term of a post; renewed while the household "
                         "is monitored and someone at home is free to hold it", ge=1, le=120,
                         source=ASSUMPTION)


class PublicPosts(Instrument):
    name = "public_posts"
    order = 10
    label = "public-welfare posts / 公益性岗位"
    Config = PublicPostsConfig
    lines = (BudgetLine("public_posts", "consolidation_fund"),)
    ideal = {"quota_per_1000": 60.0}
    pays_at = 2
    columns = {"post_until": (np.int32, ("implementers", "social"), "month the current "
                              "post's term ends")}

    def __init__(self, cfg, streams=None):
        super().__init__(cfg, streams)
        self.n_ended = 0  # posts not renewed at the end of a term

    def start_of_run(self) -> None:
        self.n_ended = 0

    def wage(self, ctx) -> float:
        return self.indexed(self.p.wage_month, self.p.wage_growth_year, ctx)

    def quota(self, n: int, level: float) -> int:
        return int(self.p.quota_per_1000 * n / 1000.0 * (level > 0))

    def allocate(self, hh, ctx) -> dict[str, float]:
        level = ctx.levels[self.name]
        return {"public_posts": self.p.quota_per_1000 * hh.n / 1000.0 * self.wage(ctx)
                * 12 * level}

    def income(self, hh, ctx, inc: Income) -> None:
        if same_columns(inc.home) and hh.in_post.dtype == np.bool_:
            from abm import kernels  # (not at import: the config needs no numba)

            # (hh.in_post & (inc.home >= 1)) * wage, in one compiled pass
            full = kernels.posts_wages(hh.in_post, inc.home, self.wage(ctx))
        else:
            full = (hh.in_post & (inc.home >= 1)) * self.wage(ctx)
        inc.add("wage", ctx.budget.pay("public_posts", self.at_level(full, ctx), fresh=True))
        self.withhold(hh, ctx, full)
        hh.book("policy_withdrawal", hh.lost_post_m)

    def deliver(self, hh, idx: np.ndarray, able: np.ndarray, s) -> None:
        want = idx[able & ~hh.in_post[idx] & (hh.employer[idx] < 0)]
        room = max(0, self.quota(hh.n, s.ctx.levels[self.name]) - int(hh.in_post.sum()))
        got = want[:room]
        hh.in_post[got] = True
        hh.lost_post_m[got] = 0.0
        hh.post_until[got] = s.month + self.p.term_months

    def monthly(self, s) -> None:
        """Terms end: renewed while the household is monitored and someone at home is
        free to hold the post (not away, not in an enterprise job); otherwise it ends."""
        hh = s.households
        due = np.flatnonzero(hh.in_post & (hh.post_until <= s.month))
        if due.size == 0:
            return
        keep = hh.monitored[due] & (rules.labour_at_home(hh, due) > 0) & (hh.employer[due] < 0)
        hh.post_until[due[keep]] = s.month + self.p.term_months
        end = due[~keep]
        hh.in_post[end] = False
        self.n_ended += int(end.size)

    def on_exit(self, hh, idx: np.ndarray, s) -> None:
        """Leaving monitoring ends the post: its wage is a lost transfer every month
        until the household holds a post again."""
        post = idx[hh.in_post[idx]]
        if post.size:
            hh.in_post[post] = False
            hh.lost_post_m[post] = self.wage(s.ctx) * s.ctx.levels[self.name]
