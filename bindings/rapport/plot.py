"""Plots of a scoring run with matplotlib: the views of the HTML report, for notebooks.

Each function draws one view on ``ax`` (a new figure's Axes when None) and returns the Axes.
``scores`` is the DataFrame :func:`rapport.score` returns, ``summary`` the dict
:func:`rapport.summary` returns (or ``Result.scores`` / ``Result.summary`` of :func:`rapport.run`).
Colours are Okabe-Ito's (safe for the common colour-vision deficiencies).

Examples
--------
>>> import rapport, rapport.plot
>>> result = rapport.run("examples/sample")
>>> rapport.plot.loyalty_by_value_decile(result.summary)
>>> rapport.plot.overview(result.scores, result.summary).savefig("overview.png")
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import matplotlib.pyplot as _plt
import numpy as _np
import pandas as _pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
    "OKABE_ITO",
    "chain_depth",
    "critical_wheel",
    "expected_value_distribution",
    "largest_trees",
    "loyalty_by_value_decile",
    "loyalty_components",
    "loyalty_distribution",
    "loyalty_per_segment",
    "next_actions",
    "overview",
    "p_alive_distribution",
    "tracking",
    "by_frequency",
    "upserve_top",
]

#: The Okabe-Ito palette: orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple, black.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
_ORANGE, _SKY, _GREEN, _YELLOW, _BLUE, _VERMILLION, _PURPLE, _BLACK = OKABE_ITO

_LOYALTY_COMPONENTS = ("continuity", "follow_through", "impression", "recovery", "service_ladder")
_STAGES = ("welcome", "discovery", "presentation", "closing")
_ACTIONS = (
    "none",
    "reach_out",
    "follow_up_after_sale",
    "repair_impression",
    "resolve_complaint",
    "fix_basics",
    "add_hospitality",
    "create_wow",
)


def _axes(ax: Optional[Axes]) -> Axes:
    if ax is not None:
        return ax
    _, new = _plt.subplots(figsize=(7, 4))
    return new


def _box_stats(label: str, d: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """A matplotlib bxp() entry from a summary distribution (whiskers p10 and p90)."""
    if not d.get("customers"):
        return None
    return {
        "label": f"{label} (n={d['customers']:,})",
        "whislo": d["p10"],
        "q1": d["p25"],
        "med": d["median"],
        "q3": d["p75"],
        "whishi": d["p90"],
        "mean": d["mean"],
        "fliers": [],
    }


def _ranges(ax: Optional[Axes], stats: List[Dict[str, Any]], title: str) -> Axes:
    ax = _axes(ax)
    ax.bxp(
        stats,
        vert=False,
        showmeans=True,
        patch_artist=True,
        boxprops={"facecolor": _SKY},
        medianprops={"color": _BLACK, "linewidth": 2},
        meanprops={"marker": "o", "markerfacecolor": _VERMILLION, "markeredgecolor": _VERMILLION},
    )
    ax.set_xlim(0, 100)
    ax.set_xlabel("loyalty given (whiskers p10-p90, box p25-p75, line median, dot mean)")
    ax.set_title(title)
    ax.invert_yaxis()
    return ax


def loyalty_distribution(scores: _pd.DataFrame, ax: Optional[Axes] = None, bins: int = 20) -> Axes:
    """Histogram of loyalty given (0 to 100), with the mean marked."""
    ax = _axes(ax)
    values = scores["loyalty_given"].to_numpy(dtype=float)
    ax.hist(values, bins=bins, range=(0, 100), color=_BLUE, edgecolor="white")
    mean = float(_np.nanmean(values)) if len(values) else float("nan")
    ax.axvline(mean, color=_VERMILLION, linewidth=2, label=f"mean {mean:.1f}")
    ax.set_xlabel("loyalty given")
    ax.set_ylabel("customers")
    ax.set_title("Distribution of loyalty given")
    ax.legend()
    return ax


def loyalty_per_segment(summary: Dict[str, Any], ax: Optional[Axes] = None) -> Axes:
    """Loyalty given per segment, from the summary's quantiles."""
    per = summary["loyalty_given"]["per_segment"]
    stats = [s for s in (_box_stats(name, d) for name, d in per.items()) if s]
    return _ranges(ax, stats, "Loyalty given per segment")


def loyalty_components(scores: _pd.DataFrame, ax: Optional[Axes] = None) -> Axes:
    """Mean of each loyalty-given component over the customers with evidence for it."""
    ax = _axes(ax)
    means = [float(scores[c].mean(skipna=True)) for c in _LOYALTY_COMPONENTS]
    ax.barh(_LOYALTY_COMPONENTS, means, color=_GREEN)
    for y, m in enumerate(means):
        ax.text(m + 0.01, y, f"{m:.2f}", va="center")
    ax.set_xlim(0, 1.1)
    ax.invert_yaxis()
    ax.set_xlabel("mean (0 to 1) over customers with evidence")
    ax.set_title("The five loyalty-given components")
    return ax


def loyalty_by_value_decile(summary: Dict[str, Any], ax: Optional[Axes] = None) -> Axes:
    """Loyalty given per expected-value decile; the title states the top-decile gap."""
    stats = [
        s for s in (_box_stats(f"decile {d['decile']}", d) for d in summary["loyalty_given"]["per_value_decile"]) if s
    ]
    gap = summary["loyalty_given"].get("top_decile_gap")
    title = "Loyalty given by expected-value decile"
    if gap is not None:
        title += f" (top decile gap {gap:+.1f} points)"
    return _ranges(ax, stats, title)


def critical_wheel(summary: Dict[str, Any], ax: Optional[Axes] = None) -> Axes:
    """Share of sales-stage contacts per stage, against the 40/30/20/10 target."""
    ax = _axes(ax)
    stages = summary["critical_wheel"]["stages"]
    shares = [stages[s]["share"] * 100 for s in _STAGES]
    targets = [stages[s]["target"] * 100 for s in _STAGES]
    y = _np.arange(len(_STAGES))
    ax.barh(y, shares, color=_ORANGE, label="actual")
    ax.scatter(targets, y, marker="|", s=400, color=_BLACK, linewidths=3, label="target", zorder=3)
    ax.set_yticks(y, _STAGES)
    ax.invert_yaxis()
    ax.set_xlabel("share of sales-stage contacts (%)")
    service = summary["critical_wheel"]["service_share"] * 100
    ax.set_title(f"Critical Wheel (service after the sale: {service:.1f}% of contacts)")
    ax.legend()
    return ax


def p_alive_distribution(scores: _pd.DataFrame, ax: Optional[Axes] = None, bins: int = 10) -> Axes:
    """Histogram of p_alive over the customers with purchases."""
    ax = _axes(ax)
    values = scores["p_alive"].dropna().to_numpy(dtype=float)
    ax.hist(values, bins=bins, range=(0, 1), color=_SKY, edgecolor="white")
    ax.set_xlabel("p_alive")
    ax.set_ylabel("customers")
    ax.set_title(f"Probability alive ({len(scores) - len(values):,} customers without purchases)")
    return ax


def expected_value_distribution(scores: _pd.DataFrame, ax: Optional[Axes] = None, bins: int = 30) -> Axes:
    """Histogram of the positive expected values on a log scale (zeros counted in the title)."""
    ax = _axes(ax)
    values = scores["expected_value"].to_numpy(dtype=float)
    positive = values[values > 0]
    if len(positive):
        edges = _np.geomspace(positive.min(), positive.max(), bins + 1) if positive.min() < positive.max() else bins
        ax.hist(positive, bins=edges, color=_BLUE, edgecolor="white")
        ax.set_xscale("log")
    ax.set_xlabel("expected value (log scale)")
    ax.set_ylabel("customers")
    ax.set_title(f"Expected value per customer ({int((values == 0).sum()):,} at zero)")
    return ax


def upserve_top(scores: _pd.DataFrame, n: int = 15, ax: Optional[Axes] = None) -> Axes:
    """The ``n`` largest up-serve values, labelled with the customer and the next action."""
    ax = _axes(ax)
    top = scores[scores["upserve_value"] > 0].nlargest(n, "upserve_value", keep="first")
    labels = [f"{c}  ({a})" for c, a in zip(top["customer_id"], top["next_action"])]
    ax.barh(labels, top["upserve_value"], color=_VERMILLION)
    ax.invert_yaxis()
    ax.set_xlabel("up-serve value (expected value x service gap)")
    ax.set_title("Top up-serve opportunities")
    return ax


def next_actions(summary: Dict[str, Any], ax: Optional[Axes] = None) -> Axes:
    """Customers per recommended next action."""
    ax = _axes(ax)
    counts = [summary["next_actions"].get(a, 0) for a in _ACTIONS]
    ax.barh(_ACTIONS, counts, color=_PURPLE)
    ax.invert_yaxis()
    ax.set_xlabel("customers")
    ax.set_title("Next actions")
    return ax


def chain_depth(summary: Dict[str, Any], ax: Optional[Axes] = None) -> Axes:
    """Scored customers per referral generation; the title states the K-factor."""
    ax = _axes(ax)
    hist = summary["referrals"]["chain_depth_histogram"]
    ax.bar(range(len(hist)), hist, color=_GREEN)
    ax.set_xticks(range(len(hist)))
    ax.set_xlabel("generation below the tree's root (0 = a root)")
    ax.set_ylabel("customers")
    ax.set_title(f"Referral chain depth (K-factor {summary['referrals']['k_factor']:.3f})")
    return ax


def largest_trees(summary: Dict[str, Any], ax: Optional[Axes] = None) -> Axes:
    """Sizes of the largest referral trees, labelled with their roots."""
    ax = _axes(ax)
    trees = summary["referrals"]["largest_trees"]
    ax.barh([t["root_id"] for t in trees], [t["tree_size"] for t in trees], color=_GREEN)
    ax.invert_yaxis()
    ax.set_xlabel("people in the tree")
    ax.set_title("Largest referral trees")
    return ax


def tracking(validation: Dict[str, Any], cumulative: bool = True, ax: Optional[Axes] = None,
             model: Optional[str] = None) -> Axes:
    """Tracking across the calibration and the holdout, actual against expected (a
    :func:`rapport.validate` result), in the unit of ``model`` (default: the first fitted one).

    The models on purchase days (bgnbd, pareto_nbd, mbgnbd) share one chart of repeat purchases
    per 7-day week, with the holdout's start marked. ``model="bgbb"`` draws BG/BB's curve per
    opportunity (customers with a purchase at opportunity k against the sum of a new customer's
    probability of one), ``model="sbg"`` sBG's per contract period (contracts still active after
    period k against the sum of S(k)): each customer's holdout starts at its own period there."""
    ax = _axes(ax)
    fitted = [m for m in validation["models"] if m["fitted"]]
    if model is not None:
        chosen = [m for m in fitted if m["model"] == model]
        if not chosen:
            raise ValueError(f"model {model!r} is not a fitted model of this validation")
    else:
        chosen = fitted[:1]
    if chosen and "tracking_periods" in chosen[0]:
        return _period_tracking(chosen[0], cumulative, ax)
    weeks = validation["tracking"]
    x = _np.arange(1, len(weeks) + 1)
    key = "actual_cumulative" if cumulative else "actual"
    ax.plot(x, [w[key] for w in weeks], color=_BLACK, label="actual")
    colours = (_ORANGE, _SKY, _GREEN, _VERMILLION, _PURPLE)
    exp_key = "expected_cumulative" if cumulative else "expected"
    drawn = weeks[0][exp_key] if weeks else {}
    names = [m["model"] for m in fitted if m["model"] in drawn]
    for k, name in enumerate(names):
        ax.plot(x, [w[exp_key][name] for w in weeks], color=colours[k % len(colours)], linestyle="--", label=name)
    start = next(i for i, w in enumerate(weeks, 1) if w["to"] >= validation["holdout_from"])
    ax.axvline(start, color=_BLACK, linewidth=0.8, linestyle=":")
    ax.set_xlabel("week")
    ax.set_ylabel("repeat purchases" + (" to date" if cumulative else " in the week"))
    ax.set_title(("Cumulative" if cumulative else "Weekly") + f" repeat purchases (holdout from week {start})")
    ax.legend()
    return ax


def _period_tracking(m: Dict[str, Any], cumulative: bool, ax: Axes) -> Axes:
    """bgbb's or sbg's ``tracking_periods``: actual and expected per period, or to date."""
    rows = m["tracking_periods"]
    x = [r["period"] for r in rows]
    suffix = "_cumulative" if cumulative else ""
    ax.plot(x, [r["actual" + suffix] for r in rows], color=_BLACK, label="actual")
    ax.plot(x, [r["expected" + suffix] for r in rows], color=_ORANGE, linestyle="--", label=m["model"])
    contracts = m["model"] == "sbg"
    ax.set_xlabel("contract period" if contracts else "opportunity after the first purchase")
    if contracts:
        ax.set_ylabel("periods survived to date" if cumulative else "contracts still active")
    else:
        ax.set_ylabel("opportunities with a purchase to date" if cumulative else "customers with a purchase")
    ax.set_title(("Cumulative" if cumulative else "Per-period") + f" tracking of {m['model']} "
                 f"({'contract periods' if contracts else 'opportunities'})")
    ax.legend()
    return ax


def by_frequency(validation: Dict[str, Any], ax: Optional[Axes] = None, model: Optional[str] = None) -> Axes:
    """Mean holdout purchases by calibration repeat purchases (0..6, 7+): actual bars, each fitted
    model's conditional expectation as a line (a :func:`rapport.validate` result).

    The models of one unit share the chart: ``model`` (default: the first fitted one) picks it,
    so ``model="bgbb"`` draws opportunities with a purchase by calibration opportunities with a
    purchase, and ``model="sbg"`` renewals by contract periods survived."""
    ax = _axes(ax)
    fitted = [m for m in validation["models"] if m["fitted"]]
    if model is not None:
        chosen = [m for m in fitted if m["model"] == model]
        if not chosen:
            raise ValueError(f"model {model!r} is not a fitted model of this validation")
        unit = chosen[0]["holdout"]["unit"]
        fitted = [m for m in fitted if m["holdout"]["unit"] == unit]
    elif fitted:
        fitted = [m for m in fitted if m["holdout"]["unit"] == fitted[0]["holdout"]["unit"]]
    if not fitted:
        ax.set_title("Holdout purchases by calibration frequency (no model fitted)")
        return ax
    unit = fitted[0]["holdout"]["unit"]
    rows = fitted[0]["by_frequency"]
    x = _np.arange(len(rows))
    def mean(value: Optional[float]) -> float:  # an empty row's mean is null in the JSON
        return _np.nan if value is None else value

    ax.bar(x, [mean(r["actual_mean"]) for r in rows], color=_SKY, label="actual")
    colours = (_ORANGE, _GREEN, _VERMILLION, _PURPLE)
    for k, m in enumerate(fitted):
        ax.plot(x, [mean(r["predicted_mean"]) for r in m["by_frequency"]], color=colours[k % len(colours)], marker="o",
                label=m["model"])
    ax.set_xticks(x, [r["x"] for r in rows])
    contracts = unit == "renewals"
    ax.set_xlabel("contract periods survived in the calibration" if contracts
                  else unit + " in the calibration" if unit != "purchase days"
                  else "repeat purchases in the calibration")
    ax.set_ylabel("mean holdout " + ("purchases" if unit == "purchase days" else unit))
    ax.set_title(f"Holdout {unit} by calibration {'periods' if contracts else 'frequency'} "
                 f"({validation['holdout_days']:.0f} days)")
    ax.legend()
    return ax


def overview(scores: _pd.DataFrame, summary: Dict[str, Any], figsize: Sequence[float] = (16, 20)) -> Figure:
    """Every view on one figure (the report at a glance); returns the Figure."""
    fig, axes = _plt.subplots(6, 2, figsize=tuple(figsize), constrained_layout=True)
    views = [
        lambda a: loyalty_distribution(scores, a),
        lambda a: loyalty_per_segment(summary, a),
        lambda a: loyalty_components(scores, a),
        lambda a: loyalty_by_value_decile(summary, a),
        lambda a: critical_wheel(summary, a),
        lambda a: p_alive_distribution(scores, a),
        lambda a: expected_value_distribution(scores, a),
        lambda a: upserve_top(scores, ax=a),
        lambda a: next_actions(summary, a),
        lambda a: chain_depth(summary, a),
        lambda a: largest_trees(summary, a),
    ]
    flat = list(axes.ravel())
    for draw, a in zip(views, flat):
        draw(a)
    for a in flat[len(views):]:
        a.set_visible(False)
    fig.suptitle(f"rapport: customer relationships as of {summary.get('as_of', '')}")
    return fig
