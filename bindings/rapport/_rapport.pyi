"""Type stubs of the compiled extension `rapport._rapport` (use the `rapport` package instead)."""

import datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

__version__: str
SCORE_COLUMNS: Tuple[str, ...]
LOYALTY_COMPONENTS: Tuple[str, ...]
REFERRAL_COMPONENTS: Tuple[str, ...]
CHANNELS: List[str]
STAGES: List[str]
INITIATORS: List[str]
ASPECTS: List[str]

class InputError(ValueError): ...
class FitError(RuntimeError): ...

class CustomerBase:
    @property
    def customers(self) -> int: ...
    @property
    def contacts(self) -> int: ...
    @property
    def purchases(self) -> int: ...
    @property
    def referrals(self) -> int: ...
    @property
    def people(self) -> int: ...
    @property
    def segments(self) -> List[str]: ...
    @property
    def rows(self) -> Dict[str, Dict[str, int]]: ...
    @property
    def rejected(self) -> int: ...
    @property
    def rejects(self) -> List[Dict[str, Any]]: ...
    @property
    def _default_as_of_day(self) -> Optional[int]: ...
    @property
    def default_as_of(self) -> Optional[datetime.date]: ...
    def _columns(self) -> Dict[str, Dict[str, np.ndarray]]: ...
    def to_frames(self) -> Dict[str, pd.DataFrame]: ...
    def rejects_frame(self) -> pd.DataFrame: ...
    def __len__(self) -> int: ...

class ScoringConfig:
    half_life_days: float
    period_days: float
    follow_up_days: float
    complaint_days: float
    impression_lambda: float
    technical_threshold: float
    hospitality_threshold: float
    wow_window_days: float
    katz_beta: float
    chain_reach_scale: float
    timing_half_life_days: float
    tenure_full_days: float
    advocacy_gate: float
    ask_timing: float
    ask_advocacy: float
    horizon_days: float
    p_alive_threshold: float
    threads: int
    @property
    def loyalty_weights(self) -> Tuple[float, float, float, float, float]: ...
    @loyalty_weights.setter
    def loyalty_weights(self, value: Union[Sequence[float], Mapping[str, float]]) -> None: ...
    @property
    def referral_weights(self) -> Tuple[float, float, float, float, float]: ...
    @referral_weights.setter
    def referral_weights(self, value: Union[Sequence[float], Mapping[str, float]]) -> None: ...
    @property
    def bgnbd(self) -> Optional[Dict[str, float]]: ...
    @bgnbd.setter
    def bgnbd(self, value: Optional[Mapping[str, float]]) -> None: ...
    @property
    def gamma_gamma(self) -> Optional[Dict[str, float]]: ...
    @gamma_gamma.setter
    def gamma_gamma(self, value: Optional[Mapping[str, float]]) -> None: ...
    @property
    def fit(self) -> Dict[str, Union[int, float]]: ...
    @fit.setter
    def fit(self, value: Mapping[str, Union[int, float]]) -> None: ...
    def __init__(self, **fields: Any) -> None: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(text: str) -> "ScoringConfig": ...
    def copy(self) -> "ScoringConfig": ...
    def __copy__(self) -> "ScoringConfig": ...
    def __deepcopy__(self, memo: Any) -> "ScoringConfig": ...
    def __eq__(self, other: object) -> bool: ...

class _ScoreRun:
    @property
    def as_of_day(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def bgnbd(self) -> Dict[str, Any]: ...
    @property
    def gamma_gamma(self) -> Dict[str, Any]: ...
    def summary_json(self) -> str: ...
    def explain_json(self) -> List[str]: ...
    def take_columns(self) -> List[Tuple[str, np.ndarray]]: ...

def _build_base(
    customers: Optional[tuple],
    contacts: Optional[tuple],
    purchases: Optional[tuple],
    referrals: Optional[tuple],
    na: Any,
    nat: Any,
    time_fallback: Callable[[Any], Optional[datetime.datetime]],
) -> CustomerBase: ...
def _load_db(uri: str, tables: str = ...) -> CustomerBase: ...
def _load_csv(customers: str, contacts: str = ..., purchases: str = ..., referrals: str = ...) -> CustomerBase: ...
def _input_files(dir: str) -> Tuple[str, str, str, str]: ...
def _generate(
    customers: int,
    seed: int,
    end_day: Optional[int],
    years: float,
    contact_rate_per_year: float,
    referral_share: float,
    prospect_referrals: float,
) -> CustomerBase: ...
def _generate_csv(
    dir: str,
    customers: int,
    seed: int,
    end_day: Optional[int],
    years: float,
    contact_rate_per_year: float,
    referral_share: float,
    prospect_referrals: float,
) -> Dict[str, int]: ...
def parse_date(text: str) -> Optional[int]: ...
def parse_timestamp(text: str) -> Optional[int]: ...
def _html_report(
    base: CustomerBase,
    as_of_day: Optional[int],
    config: ScoringConfig,
    title: str,
    currency: str,
    top_n: int,
    trees: int,
    out: str,
) -> str: ...
def _score(base: CustomerBase, as_of_day: Optional[int], config: ScoringConfig) -> _ScoreRun: ...
def format_number(value: float) -> str: ...
def _fit_bgnbd(
    x: npt.NDArray[np.float64],
    t_x: npt.NDArray[np.float64],
    T: npt.NDArray[np.float64],
    max_iterations: int,
    gradient_tolerance: float,
    min_customers: int,
) -> Dict[str, float]: ...
def _fit_gamma_gamma(
    x: npt.NDArray[np.float64],
    m: npt.NDArray[np.float64],
    max_iterations: int,
    gradient_tolerance: float,
    min_customers: int,
) -> Dict[str, float]: ...
def _bgnbd_p_alive(
    params: Dict[str, float], x: npt.NDArray[np.float64], t_x: npt.NDArray[np.float64], T: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def _bgnbd_expected_purchases(
    params: Dict[str, float],
    horizon: float,
    x: npt.NDArray[np.float64],
    t_x: npt.NDArray[np.float64],
    T: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...
def _gamma_gamma_expected_spend(
    params: Dict[str, float], x: npt.NDArray[np.float64], m: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def _pagerank(
    sources: npt.NDArray[np.int64],
    targets: npt.NDArray[np.int64],
    n: int,
    damping: float,
    tolerance: float,
    max_iterations: int,
    threads: int,
) -> Tuple[npt.NDArray[np.float64], int, float]: ...
def _katz_reach(
    sources: npt.NDArray[np.int64],
    targets: npt.NDArray[np.int64],
    n: int,
    beta: float,
    max_depth: int,
    tolerance: float,
    max_iterations: int,
    threads: int,
) -> Tuple[npt.NDArray[np.float64], int, float]: ...
