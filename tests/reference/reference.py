#!/usr/bin/python3
"""Independent pure-Python reference of the scoring semantics of rapport.

Written only from the design card ("Reference semantics" section is
normative).  It deliberately does not share code or read the C++ sources; it is
used by test_reference.py to cross-check the C++ command-line tool cell by cell.

Public entry points
-------------------
load_dir(path)                       -> Base (accepted rows + read/rejected counts)
score_dir(path, as_of=None, bgnbd=None, gamma_gamma=None) -> pandas.DataFrame
score_base(base, as_of=None, bgnbd=None, gamma_gamma=None) -> (DataFrame, info)
bgnbd_loglik(params, data) / gamma_gamma_loglik(params, data)
check_local_max(...)                 -> finite-difference gradient in log-params

The BG/NBD / Gamma-Gamma *predictions* use parameters supplied by the caller
(the C++ fitted values from its summary JSON, or fixed values); this module
does not refit, but provides the log-likelihoods so the caller can check that
the supplied parameters are a local maximum.
"""

import csv
import datetime as _dt
import math
import os
import re
import sys

import numpy as np
import pandas as pd

try:  # exact-ish special functions
    import mpmath as _mp
except ImportError:  # pragma: no cover
    _mp = None
try:
    from scipy import special as _sp
except ImportError:  # pragma: no cover
    _sp = None

# ----------------------------------------------------------------------------
# Constants of the card (ScoringConfig defaults)
# ----------------------------------------------------------------------------
DAY = 86400
HALF_LIFE = 180.0
PERIOD_DAYS = 30
FOLLOW_UP_DAYS = 14
COMPLAINT_DAYS = 7.0
LAMBDA = 2.0
TECH_THRESHOLD = 0.9
HOSP_THRESHOLD = 0.5
WOW_WINDOW = 365.0
HORIZON = 365.0
KATZ_BETA = 0.5
CHAIN_SCALE = 2.0
TIMING_HALF_LIFE = 30.0
TENURE_FULL = 730.0
ADVOCACY_GATE = 0.5
ASK_TIMING = 0.5
ASK_ADVOCACY = 0.7

LOYALTY_WEIGHTS = [("continuity", 0.30), ("follow_through", 0.25), ("impression", 0.20),
                   ("recovery", 0.15), ("service_ladder", 0.10)]
REFERRAL_WEIGHTS = [("advocacy", 0.30), ("track_record", 0.20), ("chain_reach", 0.15),
                    ("timing", 0.20), ("tenure", 0.15)]
ACTION_OF = {"continuity": "reach_out", "follow_through": "follow_up_after_sale",
             "impression": "repair_impression", "recovery": "resolve_complaint"}

COLUMNS = ["customer_id", "loyalty_given", "continuity", "follow_through", "impression",
           "recovery", "service_ladder", "p_alive", "expected_purchases", "expected_value",
           "upserve_value", "upserve_score", "next_action", "referral_potential", "advocacy",
           "track_record", "chain_reach", "timing", "tenure", "ask_for_referral",
           "direct_referrals", "converted_referrals", "generation", "root_id", "tree_size",
           "katz"]
STRING_COLUMNS = {"customer_id", "next_action", "root_id"}
BOOL_COLUMNS = {"ask_for_referral"}
INT_COLUMNS = {"direct_referrals", "converted_referrals", "generation", "tree_size"}

CHANNELS = {"visit", "phone", "email", "mail", "online", "service_call", "event", "other"}
STAGES = {"welcome", "discovery", "presentation", "closing", "service"}
INITIATORS = {"business", "customer"}
ASPECTS = {"technical", "hospitality", "wow"}
BOOLS = {"true": True, "false": False, "1": True, "0": False}

# re.ASCII so that \d is [0-9] only; fullmatch so that "$" cannot match before a
# trailing newline (Python's "$" would).
TS_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})Z?)?", re.ASCII)
DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
INT_RE = re.compile(r"-?\d+", re.ASCII)
AMOUNT_RE = re.compile(r"\d+(?:\.\d+)?", re.ASCII)

_EPOCH_ORD = _dt.date(1970, 1, 1).toordinal()

REQUIRED = {
    "customers": ["customer_id", "acquired_on"],
    "contacts": ["customer_id", "at", "channel", "stage", "initiator", "aspect", "impression",
                 "complaint", "resolved_at"],
    "purchases": ["customer_id", "at", "amount"],
    "referrals": ["referrer_id", "referred_id", "at"],
}
OPTIONAL = {"customers": ["segment", "ended_on"], "contacts": [], "purchases": [],
            "referrals": []}


class FatalInput(Exception):
    """Missing customers file or missing required column."""


# ----------------------------------------------------------------------------
# Parsing
# ----------------------------------------------------------------------------
def day_number(y, m, d):
    """Days since 1970-01-01 of a real proleptic-Gregorian date (year 0000
    allowed, as in ISO 8601), or None."""
    if not (1 <= m <= 12) or d < 1:
        return None
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    mdays = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    if d > mdays:
        return None
    # days from civil (H. Hinnant's algorithm)
    y2 = y - (1 if m <= 2 else 0)
    era = y2 // 400
    yoe = y2 - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def parse_timestamp(s):
    """UTC seconds since the epoch (int) or None when invalid."""
    m = TS_RE.fullmatch(s)
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    dn = day_number(y, mo, d)
    if dn is None:
        return None
    if m.group(4) is None:
        return dn * DAY
    hh, mi, ss = int(m.group(4)), int(m.group(5)), int(m.group(6))
    if hh > 23 or mi > 59 or ss > 59:
        return None
    return dn * DAY + hh * 3600 + mi * 60 + ss


def parse_date(s):
    """Days since the epoch of a YYYY-MM-DD date, or None."""
    m = DATE_RE.fullmatch(s)
    if not m:
        return None
    return day_number(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def date_str(dn):
    if dn + _EPOCH_ORD < 1:
        return None
    return _dt.date.fromordinal(dn + _EPOCH_ORD).isoformat()


def _read_table(path, table):
    """Yield (header_index, rows) with blank lines dropped. Rows are lists of str."""
    # surrogateescape: bytes are taken verbatim, even when not valid UTF-8
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as f:
        rows = [r for r in csv.reader(f) if len(r) > 0]
    if not rows:
        raise FatalInput("%s: no header" % path)
    header = rows[0]
    idx = {}
    for i, name in enumerate(header):
        idx.setdefault(name, i)
    for col in REQUIRED[table]:
        if col not in idx:
            raise FatalInput("%s: missing required column %r" % (path, col))
    return header, idx, rows[1:]


class Base:
    def __init__(self):
        self.customers = []      # list of dict(id, acq_day, segment)
        self.contacts = []       # list of dict
        self.purchases = []      # list of dict(cid, at, amount)
        self.referrals = []      # list of dict(referrer, referred, at)
        self.counts = {}         # table -> {"read": n, "rejected": n, "accepted": n}
        self.rejections = []     # (table, data row index, reason)


def load_dir(path, files=None):
    """Load the four CSV files of a directory following the card's rules."""
    files = dict(files or {})
    for t in ("customers", "contacts", "purchases", "referrals"):
        files.setdefault(t, os.path.join(path, t + ".csv"))
    base = Base()
    if not os.path.exists(files["customers"]):
        raise FatalInput("missing customers file")

    def reject(table, i, reason):
        base.rejections.append((table, i, reason))

    # customers --------------------------------------------------------------
    header, idx, rows = _read_table(files["customers"], "customers")
    seen = set()
    for i, r in enumerate(rows):
        if len(r) != len(header):
            reject("customers", i, "field count")
            continue
        cid = r[idx["customer_id"]]
        if cid == "":
            # the card is silent; an empty key is rejected (as the C++ does)
            reject("customers", i, "empty customer_id")
            continue
        acq = parse_date(r[idx["acquired_on"]])
        if acq is None:
            reject("customers", i, "unparsable date")
            continue
        ended = None  # ended_on: optional; empty while the contract runs
        if "ended_on" in idx and r[idx["ended_on"]] != "":
            ended = parse_date(r[idx["ended_on"]])
            if ended is None:
                reject("customers", i, "unparsable ended_on")
                continue
            if ended < acq:
                reject("customers", i, "ended_on before acquired_on")
                continue
        if cid in seen:
            reject("customers", i, "duplicate key")
            continue
        seen.add(cid)
        seg = r[idx["segment"]] if "segment" in idx else ""
        base.customers.append({"id": cid, "acq": acq, "segment": seg, "ended": ended})
    base.counts["customers"] = {"read": len(rows), "accepted": len(base.customers),
                                "rejected": len(rows) - len(base.customers)}
    known = {c["id"] for c in base.customers}

    # contacts ---------------------------------------------------------------
    if os.path.exists(files["contacts"]):
        header, idx, rows = _read_table(files["contacts"], "contacts")
        for i, r in enumerate(rows):
            if len(r) != len(header):
                reject("contacts", i, "field count"); continue
            cid = r[idx["customer_id"]]
            if cid not in known:
                reject("contacts", i, "unknown customer"); continue
            at = parse_timestamp(r[idx["at"]])
            if at is None:
                reject("contacts", i, "unparsable at"); continue
            ch, st, ini, asp = (r[idx["channel"]], r[idx["stage"]], r[idx["initiator"]],
                                r[idx["aspect"]])
            if ch not in CHANNELS or st not in STAGES or ini not in INITIATORS \
                    or asp not in ASPECTS:
                reject("contacts", i, "bad enum"); continue
            imp_s = r[idx["impression"]]
            if not INT_RE.fullmatch(imp_s) or not (-2 <= int(imp_s) <= 2):
                reject("contacts", i, "impression"); continue
            comp_s = r[idx["complaint"]]
            if comp_s not in BOOLS:
                reject("contacts", i, "complaint"); continue
            complaint = BOOLS[comp_s]
            res_s = r[idx["resolved_at"]]
            res = None
            if res_s != "":
                res = parse_timestamp(res_s)
                if res is None:
                    reject("contacts", i, "unparsable resolved_at"); continue
            if not complaint:
                res = None
            elif res is not None and res < at:
                reject("contacts", i, "resolved before at"); continue
            base.contacts.append({"cid": cid, "at": at, "channel": ch, "stage": st,
                                  "initiator": ini, "aspect": asp, "impression": int(imp_s),
                                  "complaint": complaint, "resolved_at": res})
        n_acc = len(base.contacts)
        base.counts["contacts"] = {"read": len(rows), "accepted": n_acc,
                                   "rejected": len(rows) - n_acc}
    else:
        base.counts["contacts"] = {"read": 0, "accepted": 0, "rejected": 0}

    # purchases --------------------------------------------------------------
    if os.path.exists(files["purchases"]):
        header, idx, rows = _read_table(files["purchases"], "purchases")
        for i, r in enumerate(rows):
            if len(r) != len(header):
                reject("purchases", i, "field count"); continue
            cid = r[idx["customer_id"]]
            if cid not in known:
                reject("purchases", i, "unknown customer"); continue
            at = parse_timestamp(r[idx["at"]])
            if at is None:
                reject("purchases", i, "unparsable at"); continue
            a_s = r[idx["amount"]]
            if not AMOUNT_RE.fullmatch(a_s):
                reject("purchases", i, "amount"); continue
            base.purchases.append({"cid": cid, "at": at, "amount": float(a_s)})
        n_acc = len(base.purchases)
        base.counts["purchases"] = {"read": len(rows), "accepted": n_acc,
                                    "rejected": len(rows) - n_acc}
    else:
        base.counts["purchases"] = {"read": 0, "accepted": 0, "rejected": 0}

    # referrals --------------------------------------------------------------
    if os.path.exists(files["referrals"]):
        header, idx, rows = _read_table(files["referrals"], "referrals")
        for i, r in enumerate(rows):
            if len(r) != len(header):
                reject("referrals", i, "field count"); continue
            a, b = r[idx["referrer_id"]], r[idx["referred_id"]]
            if a == "" or b == "":
                reject("referrals", i, "empty id"); continue
            if a == b:
                reject("referrals", i, "self-referral"); continue
            at = parse_timestamp(r[idx["at"]])
            if at is None:
                reject("referrals", i, "unparsable at"); continue
            base.referrals.append({"referrer": a, "referred": b, "at": at})
        n_acc = len(base.referrals)
        base.counts["referrals"] = {"read": len(rows), "accepted": n_acc,
                                    "rejected": len(rows) - n_acc}
    else:
        base.counts["referrals"] = {"read": 0, "accepted": 0, "rejected": 0}
    return base


def default_as_of(base):
    days = [c["acq"] for c in base.customers]
    days += [x["at"] // DAY for x in base.contacts]
    days += [x["at"] // DAY for x in base.purchases]
    days += [x["at"] // DAY for x in base.referrals]
    return max(days) if days else None


# ----------------------------------------------------------------------------
# BG/NBD and Gamma-Gamma
# ----------------------------------------------------------------------------
def _hyp2f1(a, b, c, z):
    if _mp is not None:
        with _mp.workdps(40):
            return _mp.hyp2f1(a, b, c, z)
    return _sp.hyp2f1(a, b, c, z)  # pragma: no cover


def bgnbd_predict(params, x, t_x, T_c, horizon=HORIZON):
    """(p_alive, expected purchases over `horizon` days) for one customer.

    Closed forms of Fader, Hardie & Lee (2005), eqs. (11) and (10); alpha, t_x,
    T_c and the horizon are in days.  Evaluated with mpmath at 40 digits.
    """
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    if _mp is not None:
        with _mp.workdps(40):
            r, alpha, a, b = map(_mp.mpf, (r, alpha, a, b))
            x_, tx, T, t = map(_mp.mpf, (x, t_x, T_c, horizon))
            if x > 0:
                extra = a / (b + x_ - 1) * ((alpha + T) / (alpha + tx)) ** (r + x_)
            else:
                extra = _mp.mpf(0)
            denom = 1 + extra
            p_alive = 1 / denom
            z = t / (alpha + T + t)
            hyp = _mp.hyp2f1(r + x_, b + x_, a + b + x_ - 1, z)
            num = (a + b + x_ - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x_) * hyp)
            return float(p_alive), float(num / denom)
    # scipy fallback
    extra = a / (b + x - 1) * ((alpha + T_c) / (alpha + t_x)) ** (r + x) if x > 0 else 0.0
    denom = 1.0 + extra
    z = horizon / (alpha + T_c + horizon)
    hyp = _sp.hyp2f1(r + x, b + x, a + b + x - 1, z)
    num = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T_c) / (alpha + T_c + horizon)) ** (r + x) * hyp)
    return 1.0 / denom, num / denom


def expected_spend(params, x, mbar):
    p, q, g = params["p"], params["q"], params["gamma"]
    if x >= 1:
        return (g + mbar * x) * p / (p * x + q - 1)
    return p * g / (q - 1)


def _lgamma(v):
    return math.lgamma(v)


def _lbeta(u, v):
    return math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)


def bgnbd_loglik(params, data):
    """Sum of BG/NBD log-likelihoods.  data: iterable of (x, t_x, T_c) in days."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    ll = 0.0
    common = -_lgamma(r) + r * math.log(alpha) - _lbeta(a, b)
    for x, tx, T in data:
        A1 = _lgamma(r + x) + common
        t1 = _lbeta(a, b + x) - (r + x) * math.log(alpha + T)
        if x > 0:
            t2 = _lbeta(a + 1, b + x - 1) - (r + x) * math.log(alpha + tx)
            m = max(t1, t2)
            ll += A1 + m + math.log(math.exp(t1 - m) + math.exp(t2 - m))
        else:
            ll += A1 + t1
    return ll


def gamma_gamma_loglik(params, data):
    """Sum of Gamma-Gamma log-likelihoods (full density of the mean spend).

    data: iterable of (x, mbar) with x >= 1, mbar > 0.
    """
    p, q, g = params["p"], params["q"], params["gamma"]
    ll = 0.0
    for x, m in data:
        px = p * x
        ll += (_lgamma(px + q) - _lgamma(px) - _lgamma(q) + q * math.log(g)
               + (px - 1) * math.log(m) + px * math.log(x) - (px + q) * math.log(g + m * x))
    return ll


def log_param_gradient(fn, params, keys, data, h=1e-5):
    """Central finite-difference gradient of fn wrt log(param) for each key."""
    grad = {}
    for k in keys:
        up = dict(params); dn = dict(params)
        up[k] = params[k] * math.exp(h)
        dn[k] = params[k] * math.exp(-h)
        grad[k] = (fn(up, data) - fn(dn, data)) / (2 * h)
    return grad


def check_local_max(fn, params, keys, data, rel_tol=1e-6, step=1e-3):
    """Return (ll, grad, ok, detail).  ok when every |dLL/dlog θ| is small relative
    to |LL| and no +-step perturbation in any log-parameter increases LL."""
    ll = fn(params, data)
    grad = log_param_gradient(fn, params, keys, data)
    scale = max(1.0, abs(ll))
    ok = all(abs(g) <= rel_tol * scale for g in grad.values())
    detail = {}
    for k in keys:
        for s in (step, -step):
            pp = dict(params); pp[k] = params[k] * math.exp(s)
            d = fn(pp, data) - ll
            detail[(k, s)] = d
            if d > 1e-9 * scale:
                ok = False
    return ll, grad, ok, detail


# ----------------------------------------------------------------------------
# Scoring
# ----------------------------------------------------------------------------
def _w(age_days):
    return 2.0 ** (-age_days / HALF_LIFE)


def _wmean(pairs):
    """pairs of (weight, value) in input order -> weighted mean or None.

    None also when every weight underflowed to 0 (events more than ~530 years
    before T): the card is silent there; this matches the C++ choice."""
    sw = 0.0
    swv = 0.0
    for w, v in pairs:
        sw += w
        swv += w * v
    if sw == 0.0:
        return None
    return swv / sw


def _nan(v):
    return float("nan") if v is None else v


def value_inputs(purch, D):
    """(x, t_x, T_c, mbar) from a customer's purchases before T (list of (at, amount))."""
    days = {}
    order = []
    for at, amount in purch:
        d = at // DAY
        if d not in days:
            days[d] = 0.0
            order.append(d)
        days[d] += amount
    sd = sorted(days)
    x = len(sd) - 1
    t_x = sd[-1] - sd[0]
    T_c = D - sd[0]
    mbar = None
    if x >= 1:
        tot = 0.0
        for d in sd[1:]:
            tot += days[d]
        mbar = tot / x
    return x, t_x, T_c, mbar


def purchase_day_list(purch, D):
    """The distinct UTC purchase days (day numbers) of a customer's purchases before T, sorted."""
    return sorted({at // DAY for at, _ in purch if at // DAY <= D})


def bgbb_inputs(days, D, opportunity_days):
    """BG/BB's (x, t_x, n), read from the card: periods of `opportunity_days` count from the
    first purchase day; x = later periods with a purchase, t_x = the last such period's index
    (0 when none), n = whole periods between the first purchase day and T (midnight of D + 1)."""
    first = days[0]
    later = sorted({math.floor((d - first) / opportunity_days) for d in days} - {0})
    x = len(later)
    t_x = later[-1] if later else 0
    n = math.floor((D + 1 - first) / opportunity_days)
    return x, t_x, n


def sbg_inputs(acq, ended, D, contract_period_days):
    """sBG's (periods, ended), read from the card: periods count from acquired_on; a customer
    whose ended_on is before T is lost after the whole periods it completed, otherwise it
    survived the whole periods up to T."""
    if ended is not None and ended <= D:  # before T = midnight(D + 1)
        return math.floor((ended - acq) / contract_period_days), 1
    return math.floor((D + 1 - acq) / contract_period_days), 0


def referral_forest(base, scored_acq, T):
    """Build the referral graph and acquisition forest.

    scored_acq: dict customer_id -> acquired day for scored customers.
    Returns dict with per-node parent, acquiring at, children, etc.
    """
    edges = [e for e in base.referrals if e["at"] < T]
    direct = {}
    for e in edges:
        direct.setdefault(e["referrer"], set()).add(e["referred"])
    nodes = set()
    for e in edges:
        nodes.add(e["referrer"]); nodes.add(e["referred"])
    best = {}
    for e in edges:
        c = e["referred"]
        if c in scored_acq and scored_acq[c] >= e["at"] // DAY:
            key = (e["at"], e["referrer"])
            if c not in best or key < best[c]:
                best[c] = key
    parent = {c: k[1] for c, k in best.items()}
    acq_at = {c: k[0] for c, k in best.items()}
    # break cycles in the functional graph child -> parent
    state = {}  # 0 visiting, 1 done
    cycles = []
    for start in list(parent):
        if start in state:
            continue
        path = []
        v = start
        while v is not None and v not in state:
            state[v] = 0
            path.append(v)
            v = parent.get(v)
        if v is not None and state.get(v) == 0:
            # cycle: from v along path
            cyc = path[path.index(v):]
            cycles.append(cyc)
        for u in path:
            state[u] = 1
    dropped = []
    for cyc in cycles:
        # edge parent[c] -> c for each c in cyc; drop latest (at, referred_id)
        victim = max(cyc, key=lambda c: (acq_at[c], c))
        dropped.append((parent[victim], victim, acq_at[victim]))
        del parent[victim]
        del acq_at[victim]
    children = {}
    for c, p in parent.items():
        children.setdefault(p, []).append(c)
    # depth and root
    depth = {}
    root = {}

    def resolve(v):
        chain = []
        while v not in depth:
            p = parent.get(v)
            if p is None:
                depth[v] = 0
                root[v] = v
                break
            chain.append(v)
            v = p
        for u in reversed(chain):
            p = parent[u]
            depth[u] = depth[p] + 1
            root[u] = root[p]

    for v in list(nodes) + list(scored_acq):
        resolve(v)
    # subtree size and katz, by processing nodes in decreasing depth
    size = {}
    katz = {}
    for v in sorted(depth, key=lambda u: -depth[u]):
        s = 1
        k = 0.0
        for ch in children.get(v, ()):
            s += size[ch]
            k += 1.0 + KATZ_BETA * katz[ch]
        size[v] = s
        katz[v] = k
    return {"parent": parent, "acq_at": acq_at, "children": children, "depth": depth,
            "root": root, "size": size, "katz": katz, "direct": direct,
            "cycles_dropped": dropped, "nodes": nodes}


def score_base(base, as_of=None, bgnbd=None, gamma_gamma=None, tree_size_mode="subtree"):
    """Score a loaded Base.  Returns (DataFrame, info dict)."""
    if as_of is None:
        D = default_as_of(base)
        if D is None:
            raise FatalInput("empty customer base: no as-of date")
    elif isinstance(as_of, str):
        D = parse_date(as_of)
        if D is None:
            raise ValueError("bad as_of %r" % as_of)
    elif isinstance(as_of, _dt.date):
        D = as_of.toordinal() - _EPOCH_ORD
    else:
        D = int(as_of)
    T = (D + 1) * DAY

    scored = [c for c in base.customers if c["acq"] <= D]
    scored_acq = {c["id"]: c["acq"] for c in scored}
    contacts_of = {c["id"]: [] for c in scored}
    for x in base.contacts:
        if x["cid"] in contacts_of and x["at"] < T:
            contacts_of[x["cid"]].append(x)
    purch_of = {c["id"]: [] for c in scored}
    for x in base.purchases:
        if x["cid"] in purch_of and x["at"] < T:
            purch_of[x["cid"]].append((x["at"], x["amount"]))

    forest = referral_forest(base, scored_acq, T)

    # value inputs and model data
    vin = {}
    bg_data = []
    gg_data = []
    for c in scored:
        p = purch_of[c["id"]]
        if p:
            x, t_x, T_c, mbar = value_inputs(p, D)
            vin[c["id"]] = (x, t_x, T_c, mbar)
            bg_data.append((x, t_x, T_c))
            if x >= 1 and mbar > 0:
                gg_data.append((x, mbar))

    rows = []
    pred_cache = {}
    for c in scored:
        cid = c["id"]
        A = c["acq"] * DAY
        cons = contacts_of[cid]
        purch = purch_of[cid]
        row = {"customer_id": cid}

        # continuity
        P = PERIOD_DAYS * DAY
        n = max(1, -(-(T - A) // P))
        covered = [False] * n
        for x in cons:
            if x["initiator"] == "business":
                k = (T - x["at"] - 1) // P
                if 0 <= k < n:
                    covered[k] = True
        num = 0.0
        den = 0.0
        for k in range(n):
            wk = 2.0 ** (-(PERIOD_DAYS * k) / HALF_LIFE)
            den += wk
            if covered[k]:
                num += wk
        continuity = num / den

        # follow_through
        ft_pairs = []
        service_ats = [x["at"] for x in cons
                       if x["initiator"] == "business" and x["stage"] == "service"]
        for s, _amt in purch:
            if s + FOLLOW_UP_DAYS * DAY <= T:
                followed = any(s <= a <= s + FOLLOW_UP_DAYS * DAY for a in service_ats)
                ft_pairs.append((_w((T - s) / DAY), 1.0 if followed else 0.0))
        follow_through = _wmean(ft_pairs)

        # impression
        Ppos = 0.0
        Nneg = 0.0
        n_imp = 0
        for x in cons:
            v = x["impression"]
            if v == 0:
                continue
            n_imp += 1
            w = _w((T - x["at"]) / DAY)
            if v > 0:
                Ppos += w * v
            else:
                Nneg += w * (-v)
        impression = None
        if n_imp and Ppos + LAMBDA * Nneg > 0.0:
            impression = Ppos / (Ppos + LAMBDA * Nneg)

        # recovery
        rec_pairs = []
        open_overdue = False
        for x in cons:
            if not x["complaint"]:
                continue
            w = _w((T - x["at"]) / DAY)
            res = x["resolved_at"]
            if res is not None and res < T:
                delay = (res - x["at"]) / DAY
                v = 1.0 if delay <= COMPLAINT_DAYS else 2.0 ** (-(delay - COMPLAINT_DAYS) / COMPLAINT_DAYS)
                rec_pairs.append((w, v))
            else:
                age = (T - x["at"]) / DAY
                if age > COMPLAINT_DAYS:
                    rec_pairs.append((w, 0.0))
                    open_overdue = True
        recovery = _wmean(rec_pairs)

        # service ladder
        tech = []
        hosp = []
        wow = 0.0
        for x in cons:
            w = _w((T - x["at"]) / DAY)
            if x["aspect"] == "technical":
                tech.append((w, 1.0 if x["impression"] >= 0 else 0.0))
            elif x["aspect"] == "hospitality":
                hosp.append((w, 1.0 if x["impression"] > 0 else 0.0))
            if x["impression"] == 2 and (T - x["at"]) / DAY <= WOW_WINDOW:
                wow = 1.0
        ladder = None
        t_ = h_ = None
        if tech or hosp:
            t_ = _wmean(tech)
            h_ = _wmean(hosp)
            t_ = 1.0 if t_ is None else t_
            h_ = 0.0 if h_ is None else h_
            g1 = 1.0 if t_ >= TECH_THRESHOLD else 0.0
            g2 = 1.0 if (t_ >= TECH_THRESHOLD and h_ >= HOSP_THRESHOLD) else 0.0
            ladder = (t_ + g1 * h_ + g2 * wow) / 3.0

        comps = {"continuity": continuity, "follow_through": follow_through,
                 "impression": impression, "recovery": recovery, "service_ladder": ladder}
        sw = 0.0
        swv = 0.0
        for name, wt in LOYALTY_WEIGHTS:
            v = comps[name]
            if v is not None:
                sw += wt
                swv += wt * v
        L = 100.0 * swv / sw

        # next action
        if open_overdue:
            action = "resolve_complaint"
        else:
            best_name, best_gap = None, 0.0
            for name, wt in LOYALTY_WEIGHTS:
                v = comps[name]
                if v is None:
                    continue
                gap = wt * (1.0 - v)
                if gap > best_gap:
                    best_name, best_gap = name, gap
            if best_name is None:
                action = "none"
            elif best_name == "service_ladder":
                if t_ < TECH_THRESHOLD:
                    action = "fix_basics"
                elif h_ < HOSP_THRESHOLD:
                    action = "add_hospitality"
                else:
                    action = "create_wow"
            else:
                action = ACTION_OF[best_name]

        # value
        if purch:
            x, t_x, T_c, mbar = vin[cid]
            if bgnbd is not None:
                key = (x, t_x, T_c)
                if key not in pred_cache:
                    pred_cache[key] = bgnbd_predict(bgnbd, x, t_x, T_c)
                p_alive, e_purch = pred_cache[key]
            else:
                p_alive = e_purch = float("nan")
            spend = expected_spend(gamma_gamma, x, mbar) if gamma_gamma is not None else float("nan")
            e_value = e_purch * spend
        else:
            p_alive = e_purch = float("nan")
            e_value = 0.0
        ended = c.get("ended")
        if ended is not None and ended <= D:  # known lost, under every model
            p_alive = e_purch = 0.0
            e_value = 0.0 if not math.isnan(e_value) else e_value
        upserve_value = e_value * (1.0 - L / 100.0)

        # referral potential
        advocacy = impression
        children = forest["children"].get(cid, [])
        c_sum = 0.0
        for ch in children:
            c_sum += _w((T - forest["acq_at"][ch]) / DAY)
        track_record = 1.0 - math.exp(-c_sum)
        katz = forest["katz"].get(cid, 0.0)
        chain_reach = 1.0 - math.exp(-katz / CHAIN_SCALE)
        timing = None
        if purch:
            last = max(a for a, _ in purch)
            timing = 2.0 ** (-((T - last) / DAY) / TIMING_HALF_LIFE)
        tenure = min(1.0, ((T - A) / DAY) / TENURE_FULL)
        rcomps = {"advocacy": advocacy, "track_record": track_record,
                  "chain_reach": chain_reach, "timing": timing, "tenure": tenure}
        sw = 0.0
        swv = 0.0
        for name, wt in REFERRAL_WEIGHTS:
            v = rcomps[name]
            if v is not None:
                sw += wt
                swv += wt * v
        R = 100.0 * swv / sw
        if advocacy is not None and advocacy < ADVOCACY_GATE:
            R *= 2.0 * advocacy
        ask = (timing is not None and advocacy is not None and timing >= ASK_TIMING
               and advocacy >= ASK_ADVOCACY)

        if tree_size_mode == "subtree":
            tsize = forest["size"][cid]
        else:  # whole tree of the root
            tsize = forest["size"][forest["root"][cid]]

        row.update({
            "loyalty_given": L, "continuity": continuity,
            "follow_through": _nan(follow_through), "impression": _nan(impression),
            "recovery": _nan(recovery), "service_ladder": _nan(ladder),
            "p_alive": p_alive, "expected_purchases": e_purch, "expected_value": e_value,
            "upserve_value": upserve_value, "upserve_score": float("nan"),
            "next_action": action, "referral_potential": R, "advocacy": _nan(advocacy),
            "track_record": track_record, "chain_reach": chain_reach,
            "timing": _nan(timing), "tenure": tenure, "ask_for_referral": bool(ask),
            "direct_referrals": len(forest["direct"].get(cid, ())),
            "converted_referrals": len(children), "generation": forest["depth"][cid],
            "root_id": forest["root"][cid], "tree_size": tsize, "katz": katz,
        })
        rows.append(row)

    # upserve_score: mid-rank percentile
    vals = np.array([r["upserve_value"] for r in rows], dtype=float)
    n = len(vals)
    if n == 1:
        rows[0]["upserve_score"] = 50.0
    elif n > 1:
        srt = np.sort(vals)
        less = np.searchsorted(srt, vals, side="left")
        leq = np.searchsorted(srt, vals, side="right")
        for i, r in enumerate(rows):
            eq = int(leq[i] - less[i])
            r["upserve_score"] = 100.0 * (int(less[i]) + (eq - 1) / 2.0) / (n - 1)

    df = pd.DataFrame(rows, columns=COLUMNS)
    info = {"as_of": date_str(D), "D": D, "T": T, "bg_data": bg_data, "gg_data": gg_data,
            "forest": forest, "customers_scored": len(scored),
            "counts": base.counts, "rejections": base.rejections}
    return df, info


def score_dir(path, as_of=None, bgnbd=None, gamma_gamma=None, return_info=False, **kw):
    """Score the CSV files of a directory; DataFrame with the CLI's columns."""
    base = load_dir(path)
    df, info = score_base(base, as_of=as_of, bgnbd=bgnbd, gamma_gamma=gamma_gamma, **kw)
    if return_info:
        return df, info
    return df


def load_counts(path):
    """{table: {"read": n, "rejected": n, "accepted": n}} for a directory."""
    return load_dir(path).counts


def params_from_summary(summary):
    """(bgnbd, gamma_gamma) parameter dicts from the C++ summary JSON."""
    bg = summary["bgnbd"]
    gg = summary["gamma_gamma"]
    return ({k: float(bg[k]) for k in ("r", "alpha", "a", "b")},
            {k: float(gg[k]) for k in ("p", "q", "gamma")})


# ----------------------------------------------------------------------------
# Reading the C++ scores CSV and comparing
# ----------------------------------------------------------------------------
def read_scores_csv(path):
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], [r for r in rows[1:] if r]
    out = {}
    for j, name in enumerate(header):
        col = [r[j] for r in data]
        if name in STRING_COLUMNS:
            out[name] = col
        elif name in BOOL_COLUMNS:
            out[name] = col  # keep raw "true"/"false" to check the spelling
        else:
            out[name] = [float("nan") if v == "" else float(v) for v in col]
    return header, pd.DataFrame(out, columns=header)


def compare_frames(ref, cpp, rtol=1e-9, atol=1e-9, max_report=20):
    """List of human-readable differences between reference and C++ frames."""
    diffs = []
    if list(cpp.columns) != COLUMNS:
        diffs.append("columns differ: %r" % (list(cpp.columns),))
        return diffs
    if len(ref) != len(cpp):
        diffs.append("row count: ref %d, cpp %d" % (len(ref), len(cpp)))
        return diffs
    ids = list(ref["customer_id"])
    if ids != list(cpp["customer_id"]):
        diffs.append("customer order/ids differ")
        return diffs
    for col in COLUMNS[1:]:
        rv = ref[col].tolist()
        cv = cpp[col].tolist()
        for i, (a, b) in enumerate(zip(rv, cv)):
            bad = False
            if col in STRING_COLUMNS:
                bad = a != b
            elif col in BOOL_COLUMNS:
                bad = ("true" if a else "false") != b
            else:
                a = float(a); b = float(b)
                if math.isnan(a) or math.isnan(b):
                    bad = math.isnan(a) != math.isnan(b)
                else:
                    bad = abs(a - b) > atol + rtol * abs(a)
            if bad:
                diffs.append("%s[%s]: ref=%r cpp=%r" % (col, ids[i], a, b))
                if len(diffs) >= max_report:
                    return diffs
    return diffs


def _main(argv):  # pragma: no cover - convenience CLI
    import argparse
    import json
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--as-of")
    ap.add_argument("--summary", help="C++ summary JSON to take BG/NBD + GG params from")
    ap.add_argument("--config", help="config JSON with fixed bgnbd/gamma_gamma params")
    ap.add_argument("--out")
    ap.add_argument("--compare", help="C++ scores CSV to compare with")
    a = ap.parse_args(argv)
    bg = gg = None
    if a.summary:
        bg, gg = params_from_summary(json.load(open(a.summary)))
    if a.config:
        cfg = json.load(open(a.config))
        bg, gg = cfg["bgnbd"], cfg["gamma_gamma"]
    df, info = score_dir(a.dir, as_of=a.as_of, bgnbd=bg, gamma_gamma=gg, return_info=True)
    print(json.dumps({"as_of": info["as_of"], "rows": info["counts"]}, indent=1))
    if a.out:
        df.to_csv(a.out, index=False, float_format="%.17g")
    if a.compare:
        _, cpp = read_scores_csv(a.compare)
        d = compare_frames(df, cpp, max_report=200)
        print("\n".join(d) if d else "identical within 1e-9")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main(sys.argv[1:]))
