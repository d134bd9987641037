"""Type stubs of the rapport package."""

import datetime
import os
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import plot as plot
from . import dask as dask
from ._rapport import (
    ASPECTS as ASPECTS,
    CHANNELS as CHANNELS,
    INITIATORS as INITIATORS,
    LOYALTY_COMPONENTS as LOYALTY_COMPONENTS,
    REFERRAL_COMPONENTS as REFERRAL_COMPONENTS,
    SCORE_COLUMNS as SCORE_COLUMNS,
    STAGES as STAGES,
    ConfigError as ConfigError,
    CustomerBase as CustomerBase,
    FitError as FitError,
    InputError as InputError,
    ScoringConfig as ScoringConfig,
    format_number as format_number,
)

__version__: str

DateLike = Union[datetime.date, datetime.datetime, np.datetime64, pd.Timestamp, str]
Frame = Union[pd.DataFrame, Mapping[str, Any]]
PathLike = Union[str, os.PathLike[str]]
CustomersArg = Union[pd.DataFrame, Mapping[str, Any], CustomerBase, str, os.PathLike[str]]
ConfigArg = Union[ScoringConfig, Mapping[str, Any], str, None]
ArrayLike = npt.ArrayLike

class DataError(InputError):
    rejects: List[Dict[str, Any]]
    def __init__(self, message: str, rejects: Sequence[Dict[str, Any]] = ...) -> None: ...
    def rejects_frame(self) -> pd.DataFrame: ...

class RejectedRowsWarning(UserWarning): ...
class ValueModelWarning(UserWarning): ...

class Result(NamedTuple):
    scores: pd.DataFrame
    summary: Dict[str, Any]
    explanations: Optional[List[Dict[str, Any]]]

def load(
    customers: Frame,
    contacts: Optional[Frame] = ...,
    purchases: Optional[Frame] = ...,
    referrals: Optional[Frame] = ...,
    *,
    strict: bool = ...,
) -> CustomerBase: ...
def load_dir(
    path: PathLike,
    *,
    customers: Optional[str] = ...,
    contacts: Optional[str] = ...,
    purchases: Optional[str] = ...,
    referrals: Optional[str] = ...,
    strict: bool = ...,
) -> CustomerBase: ...
def generate(
    customers: int = ...,
    *,
    seed: int = ...,
    end: Optional[DateLike] = ...,
    years: float = ...,
    contact_rate_per_year: float = ...,
    referral_share: float = ...,
    prospect_referrals: float = ...,
) -> CustomerBase: ...
def generate_csv(
    path: PathLike,
    customers: int = ...,
    *,
    seed: int = ...,
    end: Optional[DateLike] = ...,
    years: float = ...,
    contact_rate_per_year: float = ...,
    referral_share: float = ...,
    prospect_referrals: float = ...,
) -> Dict[str, int]: ...
def score(
    customers: CustomersArg,
    contacts: Optional[Frame] = ...,
    purchases: Optional[Frame] = ...,
    referrals: Optional[Frame] = ...,
    *,
    as_of: Optional[DateLike] = ...,
    config: ConfigArg = ...,
    threads: Optional[int] = ...,
    strict: bool = ...,
    intervals: Optional[float] = ...,
) -> pd.DataFrame: ...
def load_db(uri: str, *, tables: Optional[Dict[str, str]] = ..., strict: bool = ...) -> CustomerBase: ...
def score_db(
    uri: str,
    *,
    tables: Optional[Dict[str, str]] = ...,
    as_of: Optional[DateLike] = ...,
    config: ConfigArg = ...,
    threads: Optional[int] = ...,
    strict: bool = ...,
) -> pd.DataFrame: ...
def score_dir(
    path: PathLike,
    *,
    as_of: Optional[DateLike] = ...,
    config: ConfigArg = ...,
    threads: Optional[int] = ...,
    strict: bool = ...,
) -> pd.DataFrame: ...
def explain(
    customers: CustomersArg,
    contacts: Optional[Frame] = ...,
    purchases: Optional[Frame] = ...,
    referrals: Optional[Frame] = ...,
    *,
    as_of: Optional[DateLike] = ...,
    config: ConfigArg = ...,
    threads: Optional[int] = ...,
    strict: bool = ...,
) -> List[Dict[str, Any]]: ...
def summary(
    customers: CustomersArg,
    contacts: Optional[Frame] = ...,
    purchases: Optional[Frame] = ...,
    referrals: Optional[Frame] = ...,
    *,
    as_of: Optional[DateLike] = ...,
    config: ConfigArg = ...,
    threads: Optional[int] = ...,
    strict: bool = ...,
) -> Dict[str, Any]: ...
def report(
    customers: CustomersArg,
    contacts: Optional[Frame] = ...,
    purchases: Optional[Frame] = ...,
    referrals: Optional[Frame] = ...,
    *,
    as_of: Optional[DateLike] = ...,
    config: ConfigArg = ...,
    threads: Optional[int] = ...,
    strict: bool = ...,
    out: Union[str, os.PathLike[str], None] = ...,
    title: Optional[str] = ...,
    currency: str = ...,
    top_n: int = ...,
    trees: int = ...,
    history: Sequence[DateLike] = ...,
) -> str: ...
def run(
    customers: CustomersArg,
    contacts: Optional[Frame] = ...,
    purchases: Optional[Frame] = ...,
    referrals: Optional[Frame] = ...,
    *,
    as_of: Optional[DateLike] = ...,
    config: ConfigArg = ...,
    threads: Optional[int] = ...,
    strict: bool = ...,
    explanations: bool = ...,
) -> Result: ...
def fit_bgnbd(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    max_iterations: int = ...,
    gradient_tolerance: float = ...,
    min_customers: int = ...,
) -> Dict[str, float]: ...
class ValueModel:
    name: str
    params: Dict[str, float]
    std_errors: Dict[str, float]
    log_covariance: npt.NDArray[np.float64]
    log_likelihood: float
    aic: float
    bic: float
    n: float
    penalizer: float
    @classmethod
    def from_params(cls, name: str, params: Mapping[str, float]) -> ValueModel: ...
    def p_alive(
        self,
        x: Optional[ArrayLike] = ...,
        t_x: Optional[ArrayLike] = ...,
        T: Optional[ArrayLike] = ...,
        n: Optional[ArrayLike] = ...,
        periods: Optional[ArrayLike] = ...,
        ended: Optional[ArrayLike] = ...,
    ) -> npt.NDArray[np.float64]: ...
    def expected_purchases(
        self,
        t: float,
        x: Optional[ArrayLike] = ...,
        t_x: Optional[ArrayLike] = ...,
        T: Optional[ArrayLike] = ...,
        n: Optional[ArrayLike] = ...,
        periods: Optional[ArrayLike] = ...,
        ended: Optional[ArrayLike] = ...,
        discount_rate: float = ...,
    ) -> npt.NDArray[np.float64]: ...
    def expected_renewals(self, t: float, periods: ArrayLike, ended: ArrayLike) -> npt.NDArray[np.float64]: ...
    def expected_purchases_new(self, t: float) -> float: ...
    def probability_of_purchases_new(self, t: float, k: int) -> float: ...
    def survival(self, t: float) -> float: ...
    def expected_spend(self, x: ArrayLike, m: ArrayLike) -> npt.NDArray[np.float64]: ...
    def log_likelihood_of(
        self,
        x: Optional[ArrayLike] = ...,
        t_x: Optional[ArrayLike] = ...,
        T: Optional[ArrayLike] = ...,
        n: Optional[ArrayLike] = ...,
        m: Optional[ArrayLike] = ...,
        periods: Optional[ArrayLike] = ...,
        ended: Optional[ArrayLike] = ...,
        weights: Optional[ArrayLike] = ...,
    ) -> float: ...

def fit_value_model(
    name: str,
    *,
    x: Optional[ArrayLike] = ...,
    t_x: Optional[ArrayLike] = ...,
    T: Optional[ArrayLike] = ...,
    n: Optional[ArrayLike] = ...,
    m: Optional[ArrayLike] = ...,
    periods: Optional[ArrayLike] = ...,
    ended: Optional[ArrayLike] = ...,
    weights: Optional[ArrayLike] = ...,
    options: Optional[Mapping[str, Any]] = ...,
    penalizer: float = ...,
) -> ValueModel: ...
def fit_gamma_gamma(
    x: ArrayLike,
    m: ArrayLike,
    *,
    max_iterations: int = ...,
    gradient_tolerance: float = ...,
    min_customers: int = ...,
) -> Dict[str, float]: ...
def bgnbd_p_alive(
    params: Mapping[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> Union[npt.NDArray[np.float64], float]: ...
def bgnbd_expected_purchases(
    params: Mapping[str, float], horizon: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> Union[npt.NDArray[np.float64], float]: ...
def gamma_gamma_expected_spend(
    params: Mapping[str, float], x: ArrayLike, m: ArrayLike
) -> Union[npt.NDArray[np.float64], float]: ...
def pagerank(
    sources: ArrayLike,
    targets: ArrayLike,
    n: Optional[int] = ...,
    damping: float = ...,
    tolerance: float = ...,
    *,
    max_iterations: int = ...,
    threads: int = ...,
) -> npt.NDArray[np.float64]: ...
def katz_reach(
    sources: ArrayLike,
    targets: ArrayLike,
    n: Optional[int] = ...,
    beta: float = ...,
    tolerance: float = ...,
    *,
    max_depth: int = ...,
    max_iterations: int = ...,
    threads: int = ...,
) -> npt.NDArray[np.float64]: ...

class Scorer:
    def __init__(
        self,
        customers: CustomersArg,
        contacts: Optional[Frame] = ...,
        purchases: Optional[Frame] = ...,
        referrals: Optional[Frame] = ...,
        *,
        as_of: Any = ...,
        config: ConfigArg = ...,
        threads: Optional[int] = ...,
        strict: bool = ...,
    ) -> None: ...
    def add(
        self,
        customers: Optional[Frame] = ...,
        contacts: Optional[Frame] = ...,
        purchases: Optional[Frame] = ...,
        referrals: Optional[Frame] = ...,
    ) -> pd.DataFrame: ...
    def scores(self) -> pd.DataFrame: ...
    @property
    def rescored(self) -> int: ...
    @property
    def config(self) -> ScoringConfig: ...
    @property
    def as_of(self) -> datetime.date: ...
    @as_of.setter
    def as_of(self, value: Any) -> None: ...
    def refit(self) -> None: ...
    def summary(self) -> Dict[str, Any]: ...
    def explain(self, customer: Union[int, str]) -> Dict[str, Any]: ...
def history(
    customers: CustomersArg,
    contacts: Optional[Frame] = ...,
    purchases: Optional[Frame] = ...,
    referrals: Optional[Frame] = ...,
    *,
    as_of: Sequence[Any],
    config: ConfigArg = ...,
    threads: Optional[int] = ...,
    strict: bool = ...,
) -> pd.DataFrame: ...
def trend(history_table: pd.DataFrame, column: str = ...) -> pd.DataFrame: ...
def validate(
    customers: CustomersArg,
    contacts: Optional[Frame] = ...,
    purchases: Optional[Frame] = ...,
    referrals: Optional[Frame] = ...,
    *,
    holdout_from: Any,
    holdout_to: Any = ...,
    value_model: Union[str, Sequence[str]] = ...,
    config: ConfigArg = ...,
    threads: Optional[int] = ...,
    strict: bool = ...,
    report: Optional[Union[str, os.PathLike[str]]] = ...,
) -> Dict[str, Any]: ...
