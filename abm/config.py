"""Typed configuration: every parameter's default, range, unit, meaning and source.

A YAML file is loaded once into frozen pydantic models that reject unknown keys.
Errors become a :class:`ConfigError` that names the file, the dotted key and what
is allowed; the CLI turns it into one line and exit code 2.

Money is yuan per year unless the name ends in ``_month``. Probabilities are
``p_`` per month unless the name says ``_year``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "Config",
    "ConfigError",
    "load_config",
    "config_from_dict",
    "apply_overrides",
    "parameter_table",
]


class ConfigError(ValueError):
    """Bad input: carries the file, the dotted key and what is allowed."""

    def __init__(self, source: str, key: str, message: str):
        self.source = source
        self.key = key
        self.message = message
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {message}")


def P(
    default: Any,
    *,
    unit: str,
    doc: str,
    source: str | None = None,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
) -> Any:
    """A parameter: default, range, unit, one-line meaning and (optional) data source."""
    extra: dict[str, Any] = {"unit": unit}
    if source:
        extra["source"] = source
    return Field(default, ge=ge, le=le, gt=gt, description=doc, json_schema_extra=extra)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# --------------------------------------------------------------------------- run
class RunConfig(Section):
    seed: int = P(1, unit="-", doc="Root seed; every phase draws from a stream named after it",
                  ge=0, le=2**63 - 1)
    months: int = P(120, unit="months", doc="Months simulated, from January of start_year",
                    ge=1, le=600)
    start_year: int = P(2021, unit="year", doc="Calendar year of month 0", ge=2015, le=2040)
    households: int = P(20_000, unit="households", doc="Households in the county",
                        ge=1, le=2_000_000)


# ------------------------------------------------------------------------ county
class NetworkConfig(Section):
    k_neighbours: int = P(4, unit="ties", doc="Neighbour ties per household in its village "
                          "(Watts-Strogatz ring lattice degree, even)", ge=0, le=40)
    p_rewire: float = P(0.1, unit="probability", doc="Share of neighbour ties rewired at random "
                        "within the village", ge=0, le=1)
    kin_ties_mean: float = P(1.5, unit="ties", doc="Mean kin ties per household within the "
                             "village (random graph)", ge=0, le=20)
    cross_village_ties_mean: float = P(0.3, unit="ties", doc="Mean ties per household to "
                                       "households of other villages in its township", ge=0,
                                       le=10)


class CountyConfig(Section):
    name: str = Field("Baseline county", description="Name shown in reports")
    n_townships: int = P(10, unit="townships", doc="Townships in the county", ge=1, le=500)
    villages_per_township: int = P(15, unit="villages", doc="Administrative villages per "
                                   "township", ge=1, le=500)
    village_size_sigma: float = P(0.4, unit="log-sd", doc="Spread of village sizes "
                                  "(lognormal sigma of household counts)", ge=0, le=2)
    network: NetworkConfig = NetworkConfig()


# -------------------------------------------------------------------- population
class PopulationConfig(Section):
    mean_household_size: float = P(3.3, unit="persons", doc="Mean household size "
                                   "(1 + Poisson)", ge=1, le=8,
                                   source="rural household size around 3.3 (NBS yearbooks)")
    p_child: float = P(0.22, unit="share", doc="Share of non-head members who are school-age "
                       "children or younger", ge=0, le=0.9)
    p_elderly_member: float = P(0.22, unit="share", doc="Share of other members aged 60+",
                                ge=0, le=0.9)
    age_head_mean: float = P(52.0, unit="years", doc="Mean age of household head", ge=20, le=90)
    age_head_sd: float = P(12.0, unit="years", doc="Spread of household-head age", ge=0, le=30)
    land_mean_mu: float = P(6.0, unit="mu", doc="Mean contracted farmland per household",
                            gt=0, le=200)
    land_sigma: float = P(0.6, unit="log-sd", doc="Spread of farmland (lognormal sigma)",
                          ge=0, le=3)
    education_mean_years: float = P(7.5, unit="years", doc="Mean schooling of the head",
                                    ge=0, le=16)
    p_chronic: float = P(0.20, unit="share", doc="Households with a chronically ill member "
                         "at start", ge=0, le=1)
    p_disability: float = P(0.06, unit="share", doc="Households with a disabled member at "
                            "start", ge=0, le=1)
    p_registered_poor: float = P(0.12, unit="share", doc="Households registered poor at some "
                                 "time in 2014-2020 (all lifted out by 2020)", ge=0, le=1)
    disadvantage_loading: float = P(0.8, unit="sd", doc="How strongly registered-poor history "
                                    "goes with less land, schooling and health", ge=0, le=3)
    savings_months_mean: float = P(4.0, unit="months", doc="Mean savings at start, in months "
                                   "of the household's income", ge=0, le=60)
    p_debt: float = P(0.15, unit="share", doc="Households starting with debt", ge=0, le=1)
    debt_months_mean: float = P(6.0, unit="months", doc="Mean starting debt of indebted "
                                "households, in months of income", ge=0, le=120)


# ------------------------------------------------------------------------ health
class HealthConfig(Section):
    p_acute: float = P(0.007, unit="per household-month", doc="Serious acute illness or "
                       "accident (an inpatient episode) in a healthy household", ge=0, le=1,
                       source="inpatient rate of rural residents, order of magnitude")
    rel_acute_chronic: float = P(2.5, unit="multiplier", doc="Acute risk in households with "
                                 "a chronic patient", ge=0, le=20)
    rel_acute_per_elderly: float = P(0.5, unit="multiplier", doc="Extra acute risk per "
                                     "elderly member (added to 1)", ge=0, le=10)
    dur_acute: float = P(2.0, unit="months", doc="Mean duration of an acute episode", ge=1,
                         le=24)
    cost_acute_yuan: float = P(11_000.0, unit="yuan", doc="Mean total cost of an acute "
                               "episode before reimbursement", ge=0, le=1_000_000)
    cost_acute_sigma: float = P(0.9, unit="log-sd", doc="Spread of acute episode cost",
                                ge=0, le=3)
    p_sick_is_worker: float = P(0.5, unit="probability", doc="An acute patient is a working "
                                "member who cannot work during the episode", ge=0, le=1)
    cost_chronic_month: float = P(250.0, unit="yuan/month", doc="Outpatient and drug cost of "
                                  "a chronic condition", ge=0, le=100_000)
    p_chronic_onset_year: float = P(0.02, unit="per household-year", doc="New chronic "
                                    "condition", ge=0, le=1)
    p_disability_year: float = P(0.004, unit="per household-year", doc="New disability, "
                                 "which removes a labour unit", ge=0, le=1)
    p_acute_to_disability: float = P(0.05, unit="probability", doc="An acute episode leaves "
                                     "a lasting disability", ge=0, le=1)
    p_retire_year: float = P(0.03, unit="per labour unit-year", doc="A working member ages "
                             "out of work (rises with the head's age)", ge=0, le=1)
    p_child_to_labour_year: float = P(0.08, unit="per child-year", doc="A child comes of "
                                      "working age", ge=0, le=1)
    p_elderly_death_year: float = P(0.04, unit="per elderly-year", doc="An elderly member "
                                    "dies", ge=0, le=1)


# ----------------------------------------------------------------------- economy
class EconomyConfig(Section):
    farm_income_per_mu: float = P(3_850.0, unit="yuan/mu/year", doc="Net farm and household "
                                  "business income per mu with enough labour, at trend price",
                                  ge=0, le=100_000,
                                  source="set so business income is ~36% of income, NBS 2019 "
                                  "poor-area structure (derived)")
    mu_per_farm_worker: float = P(6.0, unit="mu", doc="Land one working member can farm fully",
                                  gt=0, le=100)
    local_wage_month: float = P(2_700.0, unit="yuan/month", doc="Local wage of an employed "
                                "working member in the county", ge=0, le=100_000,
                                source="set so wages are ~35% of income, NBS 2019 (derived)")
    p_local_work: float = P(0.50, unit="share of months", doc="Share of months a local worker "
                            "finds paid work (seasonal, rises with skills and motivation)",
                            ge=0, le=1)
    migrant_wage_month: float = P(4_072.0, unit="yuan/month", doc="Average migrant worker "
                                  "wage", ge=0, le=100_000,
                                  source="NBS migrant worker survey 2020: 4,072 yuan/month")
    remit_share: float = P(0.25, unit="share", doc="Share of a migrant's wage sent or brought "
                           "home (NBS counts it as transfer income)", ge=0, le=1,
                           source="set so transfers are ~27% of income, NBS 2019 (derived)")
    wage_growth_year: float = P(0.045, unit="per year", doc="Growth of wages and farm "
                                "returns", ge=-0.2, le=0.5,
                                source="lifted-out income 10,740 (2020) -> 14,342 (2022), "
                                "SCIO/Xinhua (derived, incl. policy)")
    p_start_migrating: float = P(0.008, unit="per household-month", doc="Base chance a "
                                 "household sends one more working member away (scaled by "
                                 "motivation, skills, health)", ge=0, le=1)
    p_return_migrant: float = P(0.006, unit="per migrant-month", doc="A migrant comes home "
                                "for good", ge=0, le=1)
    p_job_loss: float = P(0.006, unit="per migrant-month", doc="A migrant loses the job and "
                          "comes home to look for another", ge=0, le=1)
    p_remigrate: float = P(0.25, unit="per month", doc="A migrant who lost a job leaves "
                           "again (scaled by motivation)", ge=0, le=1)
    init_migrant_share: float = P(0.35, unit="share", doc="Share of working members working "
                                  "outside the county at start", ge=0, le=1,
                                  source="~54% of lifted-out workers outside the county "
                                  "(Guangming Daily 2020, derived) among those employed")
    price_sigma: float = P(0.04, unit="log-sd/month", doc="Monthly volatility of the farm "
                           "price index", ge=0, le=1)
    price_rho: float = P(0.9, unit="-", doc="Persistence of farm price deviations (AR(1))",
                         ge=0, le=0.999)
    property_income_per_capita: float = P(190.0, unit="yuan/person/year", doc="Rent of "
                                          "land and other property income", ge=0, le=100_000,
                                          source="property income 1.4% of income, NBS 2019 "
                                          "(derived)")
    income_noise_sigma: float = P(0.15, unit="log-sd", doc="Month-to-month noise in local "
                                  "wage and farm income", ge=0, le=2)


# ---------------------------------------------------------------------- spending
class SpendingConfig(Section):
    subsistence_per_capita: float = P(3_600.0, unit="yuan/person/year", doc="Consumption a "
                                      "household keeps even without income", ge=0,
                                      le=100_000)
    mpc: float = P(0.75, unit="share", doc="Share of usual income above subsistence that is "
                   "consumed", ge=0, le=1.5)
    schooling_per_child: float = P(1_500.0, unit="yuan/child/year", doc="Schooling costs "
                                   "left after compulsory-education exemptions", ge=0,
                                   le=100_000)
    debt_interest_year: float = P(0.06, unit="per year", doc="Interest on household debt",
                                  ge=0, le=1)
    repay_share_month: float = P(0.05, unit="share/month", doc="Share of savings used each "
                                 "month to repay debt", ge=0, le=1)


# ----------------------------------------------------------------------- behaviour
class BehaviourConfig(Section):
    motivation_experience: float = P(0.05, unit="per month", doc="How fast motivation "
                                     "follows the household's own income gains and losses",
                                     ge=0, le=1)
    motivation_peer: float = P(0.03, unit="per month", doc="How fast motivation moves towards "
                               "the neighbours' average", ge=0, le=1)
    motivation_shock: float = P(0.04, unit="per shock", doc="Motivation lost when a shock "
                                "(illness, job loss) hits", ge=0, le=1)
    motivation_recovery: float = P(0.02, unit="per month", doc="How fast motivation returns "
                                   "to the household's own disposition after shocks", ge=0,
                                   le=1)
    skills_learning: float = P(0.004, unit="per month", doc="Skill gained per month of wage "
                               "work", ge=0, le=1)
    skills_peer: float = P(0.01, unit="per month", doc="How fast skills move towards more "
                           "skilled neighbours", ge=0, le=1)
    skills_decay: float = P(0.001, unit="per month", doc="Skill lost per month without wage "
                            "work", ge=0, le=1)


# ------------------------------------------------------------------------ policy
class PolicyConfig(Section):
    """The idealized policy as written (Smith): lines, benefits, calendar."""

    poverty_line_2020: float = P(4_000.0, unit="yuan/person/year", doc="National rural "
                                 "poverty line in 2020 prices", ge=0, le=100_000,
                                 source="2,300 yuan at 2010 prices, about 4,000 in 2020 (SCIO "
                                 "2021-04-07)")
    poverty_line_growth: float = P(0.03, unit="per year", doc="Yearly growth of the poverty "
                                   "line (price and living-standard adjustment)", ge=0, le=0.3)
    transition_end_year: int = P(2025, unit="year", doc="Last year of the transition period "
                                 "in which the main support policies are kept", ge=2020,
                                 le=2050, source="2021 No. 1 Document: 2021-2025")
    registered_support_per_capita: float = P(1_200.0, unit="yuan/person/year", doc="Direct "
                                             "transfers to registered (lifted-out) households "
                                             "during the transition", ge=0, le=100_000)
    withdrawal_months: int = P(24, unit="months", doc="Months over which registered-household "
                               "transfers taper to zero after the transition", ge=0, le=240)
    pension_month: float = P(170.0, unit="yuan/person/month", doc="Basic rural pension per "
                             "member aged 60+", ge=0, le=10_000,
                             source="urban-rural resident basic pension, order of magnitude")
    farm_subsidy_per_mu: float = P(120.0, unit="yuan/mu/year", doc="Farmland protection and "
                                   "grain subsidies", ge=0, le=10_000)
    dibao_line_per_capita: float = P(5_500.0, unit="yuan/person/year", doc="Minimum living "
                                     "guarantee line in 2021; enrolled households are topped "
                                     "up to it", ge=0, le=100_000)
    dibao_line_growth: float = P(0.05, unit="per year", doc="Yearly rise of the minimum "
                                 "living guarantee line", ge=0, le=0.3)
    reimbursement_general: float = P(0.55, unit="share", doc="Effective inpatient "
                                     "reimbursement for ordinary rural residents", ge=0, le=1)
    reimbursement_registered: float = P(0.80, unit="share", doc="Effective inpatient "
                                        "reimbursement for registered households (insurance + "
                                        "critical illness + medical assistance)", ge=0, le=1,
                                        source="about 80%, end-2019 (NHSA 2020-10)")
    reimbursement_registered_after: float = P(0.65, unit="share", doc="Effective "
                                              "reimbursement for registered households once "
                                              "the transition ends", ge=0, le=1)


class Config(Section):
    run: RunConfig = RunConfig()
    county: CountyConfig = CountyConfig()
    population: PopulationConfig = PopulationConfig()
    health: HealthConfig = HealthConfig()
    economy: EconomyConfig = EconomyConfig()
    spending: SpendingConfig = SpendingConfig()
    behaviour: BehaviourConfig = BehaviourConfig()
    policy: PolicyConfig = PolicyConfig()

    @model_validator(mode="after")
    def _cross_field(self) -> Config:
        if self.county.network.k_neighbours % 2:
            raise ValueError("county.network.k_neighbours must be even (a ring lattice)")
        if self.population.p_child + self.population.p_elderly_member > 1:
            raise ValueError(
                "population.p_child + population.p_elderly_member must not exceed 1"
            )
        return self


# ------------------------------------------------------------------- loading
def _format_loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(x) for x in loc if not (isinstance(x, str) and x.startswith("function")))


def _allowed_for(loc: tuple[Any, ...]) -> str:
    """What a dotted key allows, from the schema (range and unit, or the known keys)."""
    model: type[BaseModel] = Config
    for i, part in enumerate(loc):
        fields = model.model_fields
        if part not in fields:
            return "known keys here: " + ", ".join(fields)
        info = fields[part]
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
            continue
        if i != len(loc) - 1:
            return ""
        bits = []
        for m in info.metadata:
            for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
                v = getattr(m, attr, None)
                if v is not None:
                    bits.append(f"{sym} {v}")
        tname = getattr(ann, "__name__", str(ann))
        unit = (info.json_schema_extra or {}).get("unit") if isinstance(
            info.json_schema_extra, dict) else None
        s = f"allowed: {tname}"
        if bits:
            s += " " + " and ".join(bits)
        if unit and unit != "-":
            s += f" ({unit})"
        return s
    return ""


def config_from_dict(data: dict[str, Any], source: str = "<config>") -> Config:
    """Validate a plain dict into a Config, raising ConfigError on the first problem."""
    if not isinstance(data, dict):
        raise ConfigError(source, "", "the top level must be a mapping of sections")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err.get("loc", ()))
        key = _format_loc(loc)
        etype = err.get("type", "")
        if etype == "extra_forbidden":
            parent = loc[:-1]
            msg = f"unknown key; {_allowed_for(parent + ('?',))}"
        elif etype == "value_error":
            msg = err["msg"].removeprefix("Value error, ")
            key = key or ""
        else:
            given = err.get("input")
            allowed = _allowed_for(loc)
            msg = f"{err['msg'].lower()} (got {given!r})"
            if allowed:
                msg += f"; {allowed}"
        raise ConfigError(source, key, msg) from None


def _read_yaml(path: Path) -> dict[str, Any]:
    source = str(path)
    if not path.exists():
        raise ConfigError(source, "", "file not found")
    if path.is_dir():
        raise ConfigError(source, "", "is a directory, expected a YAML file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "?"
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise ConfigError(source, where, f"malformed YAML: {problem}") from None
    except UnicodeDecodeError:
        raise ConfigError(source, "", "not a UTF-8 text file") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, "", "the top level must be a mapping of sections")
    return data


def _known_key(path: list[str]) -> bool:
    model: type[BaseModel] = Config
    for i, part in enumerate(path):
        if part not in model.model_fields:
            return False
        ann = model.model_fields[part].annotation
        last = i == len(path) - 1
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            if last:
                return False  # a whole section, not a value
            model = ann
        elif not last:
            return False
    return True


def apply_overrides(data: dict[str, Any], sets: list[str], source: str = "--set") -> dict:
    """Apply ``dotted.key=value`` strings; values are parsed as YAML scalars."""
    out = copy.deepcopy(data)
    for item in sets:
        if "=" not in item:
            raise ConfigError(source, item, "expected dotted.key=VALUE")
        key, raw = item.split("=", 1)
        key = key.strip()
        parts = key.split(".")
        if not _known_key(parts):
            raise ConfigError(source, key, "no such parameter; see docs/parameters.md "
                              "for the keys")
        try:
            value = yaml.safe_load(raw) if raw.strip() else raw
        except yaml.YAMLError:
            value = raw
        node = out
        for p in parts[:-1]:
            if not isinstance(node.get(p), dict):
                node[p] = {}
            node = node[p]
        node[parts[-1]] = value
    return out


def load_config(
    path: str | Path | None,
    sets: list[str] | None = None,
    *,
    seed: int | str | None = None,
    months: int | str | None = None,
    households: int | str | None = None,
) -> Config:
    """Load a YAML config, apply overrides and validate everything once."""
    data: dict[str, Any] = {} if path is None else _read_yaml(Path(path))
    source = "<defaults>" if path is None else str(path)
    overrides = list(sets or [])
    flags = {}
    for name, val in (("seed", seed), ("months", months), ("households", households)):
        if val is not None:
            overrides.append(f"run.{name}={val}")
            flags[f"run.{name}"] = f"--{name}"
    data = apply_overrides(data, overrides, source="--set") if overrides else data
    try:
        return config_from_dict(data, source)
    except ConfigError as exc:
        # Say which option was at fault when the key came from the command line.
        if exc.key in flags:
            raise ConfigError(flags[exc.key], exc.key, exc.message) from None
        if any(o.split("=", 1)[0].strip() == exc.key for o in overrides):
            raise ConfigError("--set", exc.key, exc.message) from None
        raise


def config_to_dict(cfg: Config) -> dict[str, Any]:
    return cfg.model_dump(mode="json")


def parameter_table(model: type[BaseModel] = Config, prefix: str = "") -> list[dict[str, Any]]:
    """Rows (key, default, range, unit, meaning, source) for docs and UI generation."""
    rows: list[dict[str, Any]] = []
    for name, info in model.model_fields.items():
        ann = info.annotation
        key = f"{prefix}{name}"
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            rows.extend(parameter_table(ann, key + "."))
            continue
        lo = hi = None
        for m in info.metadata:
            lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
            lo = getattr(m, "gt", None) if getattr(m, "gt", None) is not None else lo
            hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        rows.append({
            "key": key,
            "type": getattr(ann, "__name__", str(ann)),
            "default": info.default,
            "min": lo,
            "max": hi,
            "unit": extra.get("unit", ""),
            "meaning": info.description or "",
            "source": extra.get("source", ""),
        })
    return rows

