"""Public-welfare posts (rangers, cleaners, ...): a village team gives a post to an
able member of a monitored household, within the county's quota; the post pays a wage
while a member works at home, and is lost when the household leaves monitoring."""

from __future__ import annotations

import numpy as np

from abm.instruments.base import BudgetLine, Income, Instrument
from abm.params import InstrumentConfig, P


class PublicPostsConfig(InstrumentConfig):
    """Public-welfare posts (rangers, cleaners, ...)."""

    quota_per_1000: float = P(15.0, unit="posts per 1000 households", doc="Posts the county "
                              "funds", ge=0, le=1000, source="4.95 M poor people in posts in "
                              "22 provinces, 2020 (Guangming Daily), order of magnitude")
    wage_month: float = P(833.0, unit="yuan/month", doc="Post pay", ge=0, le=100_000,
                          source="forest ranger about 10,000 yuan/yr (CGTN 2019-02)")


class PublicPosts(Instrument):
    name = "public_posts"
    order = 10
    label = "public-welfare posts / 公益性岗位"
    Config = PublicPostsConfig
    lines = (BudgetLine("public_posts", "consolidation_fund"),)
    ideal = {"quota_per_1000": 60.0}
    pays_at = 2

    def quota(self, n: int, level: float) -> int:
        return int(self.p.quota_per_1000 * n / 1000.0 * (level > 0))

    def allocate(self, hh, level: float) -> dict[str, float]:
        return {"public_posts": self.p.quota_per_1000 * hh.n / 1000.0 * self.p.wage_month
                * 12 * level}

    def income(self, hh, ctx, inc: Income) -> None:
        working = hh.in_post & (inc.home >= 1)
        full = working * self.p.wage_month
        inc.add("wage", ctx.budget.pay("public_posts", full * ctx.levels[self.name]))
        self.withhold(hh, ctx, full)
        hh.book("policy_withdrawal", hh.lost_post_m)

    def deliver(self, hh, idx: np.ndarray, able: np.ndarray, s) -> None:
        want = idx[able & ~hh.in_post[idx] & (hh.employer[idx] < 0)]
        room = max(0, self.quota(hh.n, s.ctx.levels[self.name]) - int(hh.in_post.sum()))
        hh.in_post[want[:room]] = True
        hh.lost_post_m[want[:room]] = 0.0

    def on_exit(self, hh, idx: np.ndarray, s) -> None:
        """Leaving monitoring ends the post: its wage is a lost transfer every month
        until the household holds a post again."""
        post = idx[hh.in_post[idx]]
        if post.size:
            hh.in_post[post] = False
            hh.lost_post_m[post] = self.p.wage_month * s.ctx.levels[self.name]
