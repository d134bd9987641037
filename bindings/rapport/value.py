"""Value models: fit and predict every purchase model rapport has, and the Gamma-Gamma spend model.

>>> import rapport
>>> model = rapport.fit_value_model("pareto_nbd", x=x, t_x=t_x, T=T)
>>> model.params, model.std_errors, model.aic
>>> model.expected_purchases(52, x=x, t_x=t_x, T=T)

Models and their inputs (arrays, one entry per customer or per pattern of identical customers
with ``weights``; times in any one unit, scoring uses days):

=============== ============================================= ==================================
name            business                                      inputs
=============== ============================================= ==================================
``bgnbd``       buys any time, leaves unobserved              ``x``, ``t_x``, ``T``
``pareto_nbd``  the same (Schmittlein, Morrison & Colombo)    ``x``, ``t_x``, ``T``
``mbgnbd``      the same; one-time buyers may leave           ``x``, ``t_x``, ``T``
``bgbb``        discrete opportunities                        ``x``, ``t_x``, ``n`` (periods)
``sbg``         contracts, churn observed                     ``periods``, ``ended``
``gamma_gamma`` spend per purchase                            ``x``, ``m`` (mean repeat spend)
=============== ============================================= ==================================

The C++ core (rapport/value/models.hpp) does the work, with the GIL released.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

import numpy as _np

from . import _rapport

__all__ = ["ValueModel", "fit_value_model"]

_FIT_OPTIONS = {"max_iterations": 200, "gradient_tolerance": 1e-9, "min_customers": 10}


def _array(values: Any, dtype: Any = _np.float64) -> Optional[_np.ndarray]:
    """A contiguous 1-D array of ``values`` (None stays None)."""
    if values is None:
        return None
    return _np.ascontiguousarray(_np.asarray(values, dtype=dtype).reshape(-1))


class ValueModel:
    """A fitted (or given) value model; see :func:`fit_value_model`.

    Attributes
    ----------
    name : str
        ``bgnbd``, ``pareto_nbd``, ``mbgnbd``, ``bgbb``, ``sbg`` or ``gamma_gamma``.
    params : dict
        Natural parameters by their usual names (r, alpha, a, b / r, alpha, s, beta / alpha, beta,
        gamma, delta / alpha, beta / p, q, gamma).
    std_errors : dict
        Standard errors of ``params`` from the inverse Hessian at the optimum (delta method; NaN
        for given parameters or a singular Hessian).
    log_covariance : numpy.ndarray
        k x k covariance of the log-parameters (empty for given parameters).
    log_likelihood, aic, bic : float
        Maximised log-likelihood, 2k - 2 LL and k ln(n) - 2 LL (NaN for given parameters).
    n : float
        Customers in the fit (sum of the weights of the rows used).
    penalizer : float
        The L2 penalty on the log-parameters used in the fit.
    """

    def __init__(self, model: Any) -> None:
        self._model = model
        names = list(model.param_names)
        self.name: str = model.name
        self.params: Dict[str, float] = dict(zip(names, model.params))
        self.std_errors: Dict[str, float] = dict(zip(names, model.std_errors))
        k = len(names)
        cov = _np.asarray(model.log_covariance, dtype=_np.float64)
        self.log_covariance: _np.ndarray = cov.reshape(k, k) if cov.size == k * k else cov
        self.log_likelihood: float = model.log_likelihood
        self.aic: float = model.aic
        self.bic: float = model.bic
        self.n: float = model.n
        self.penalizer: float = model.penalizer

    @classmethod
    def from_params(cls, name: str, params: Mapping[str, float]) -> "ValueModel":
        """A model with given parameters (a dict by name), without fit statistics."""
        names = _rapport._value_param_names(name)
        missing = [p for p in names if p not in params]
        if missing:
            raise ValueError(f"{name}: missing parameter(s) {', '.join(missing)}")
        return cls(_rapport._make_value_model(name, [float(params[p]) for p in names]))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.6g}" for k, v in self.params.items())
        return f"ValueModel({self.name}: {shown}, log_likelihood={self.log_likelihood:.6g}, n={self.n:g})"

    def p_alive(self, x: Any = None, t_x: Any = None, T: Any = None, n: Any = None,
                periods: Any = None, ended: Any = None) -> _np.ndarray:
        """Per customer, the probability of being alive given the history (sbg: 0 once ended)."""
        return self._model.p_alive(x=_array(x), t_x=_array(t_x), T=_array(T), n=_array(n),
                                   periods=_array(periods), ended=_array(ended, _np.uint8))

    def expected_purchases(self, t: float, x: Any = None, t_x: Any = None, T: Any = None, n: Any = None,
                           periods: Any = None, ended: Any = None, discount_rate: float = 0.0) -> _np.ndarray:
        """Per customer, expected purchases over the next ``t`` (conditional on the history).

        ``discount_rate`` (per time unit, continuous) discounts each purchase by e^(-rate s).
        """
        kw = dict(x=_array(x), t_x=_array(t_x), T=_array(T), n=_array(n), periods=_array(periods),
                  ended=_array(ended, _np.uint8))
        if discount_rate:
            return self._model.discounted_expected_purchases(float(t), float(discount_rate), **kw)
        return self._model.expected_purchases(float(t), **kw)

    def expected_renewals(self, t: float, periods: Any, ended: Any) -> _np.ndarray:
        """sbg: per customer, expected renewals among the next ``t`` periods (0 once ended)."""
        return self.expected_purchases(t, periods=periods, ended=ended)

    def expected_purchases_new(self, t: float) -> float:
        """A new customer's expected purchases E[X(t)] in (0, t]."""
        return self._model.expected_purchases_new(float(t))

    def probability_of_purchases_new(self, t: float, k: int) -> float:
        """A new customer's P(X(t) = k)."""
        return self._model.probability_of_purchases_new(float(t), int(k))

    def survival(self, t: float) -> float:
        """sbg: the probability of surviving ``t`` whole periods."""
        return self._model.survival(float(t))

    def expected_spend(self, x: Any, m: Any) -> _np.ndarray:
        """gamma_gamma: per customer, expected spend per future purchase."""
        return self._model.expected_spend(x=_array(x), m=_array(m))

    def log_likelihood_of(self, x: Any = None, t_x: Any = None, T: Any = None, n: Any = None, m: Any = None,
                          periods: Any = None, ended: Any = None, weights: Any = None) -> float:
        """Total (weighted) log-likelihood of the given data under this model's parameters."""
        return self._model.log_likelihood_of(x=_array(x), t_x=_array(t_x), T=_array(T), n=_array(n), m=_array(m),
                                             periods=_array(periods), ended=_array(ended, _np.uint8),
                                             weights=_array(weights))


def fit_value_model(name: str, *, x: Any = None, t_x: Any = None, T: Any = None, n: Any = None, m: Any = None,
                    periods: Any = None, ended: Any = None, weights: Any = None,
                    options: Optional[Mapping[str, Any]] = None, penalizer: float = 0) -> ValueModel:
    """Fit value model ``name`` by maximum likelihood in log-parameters.

    Parameters
    ----------
    name : str
        ``bgnbd``, ``pareto_nbd``, ``mbgnbd``, ``bgbb``, ``sbg`` or ``gamma_gamma``.
    x, t_x, T, n, m, periods, ended : array_like, optional
        The model's inputs (see the module docstring); the others are ignored.
    weights : array_like, optional
        Customers per row (identical histories, as published tables give them).
    options : dict, optional
        ``max_iterations`` (200), ``gradient_tolerance`` (1e-9), ``min_customers`` (10).
    penalizer : float, default 0
        L2 penalty on the log-parameters: maximises LL - penalizer * sum(log(theta)^2).

    Returns
    -------
    ValueModel

    Raises
    ------
    FitError
        Too few customers, no convergence, or a model-specific impossibility.
    InputError
        A bad row (named with its column and reason) or arrays of different lengths.
    ConfigError
        An unknown model name, an option outside its domain, a negative penalizer.
    """
    opts = dict(_FIT_OPTIONS)
    for key, value in (options or {}).items():
        if key not in opts:
            raise _rapport.ConfigError(f"fit_value_model: unknown option '{key}' ({', '.join(opts)})")
        opts[key] = value
    model = _rapport._fit_value_model(
        name, x=_array(x), t_x=_array(t_x), T=_array(T), n=_array(n), m=_array(m), periods=_array(periods),
        ended=_array(ended, _np.uint8), weights=_array(weights), max_iterations=int(opts["max_iterations"]),
        gradient_tolerance=float(opts["gradient_tolerance"]), min_customers=int(opts["min_customers"]),
        penalizer=float(penalizer))
    return ValueModel(model)
