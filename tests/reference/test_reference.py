"""Cross-check the C++ `rapport score` CLI against the independent Python reference.

Run:  /usr/bin/python3 -m pytest -q tests/reference
The CLI is taken from $RAPPORT_CLI (default build/tools/cli/rapport); the tests
that need it are skipped when it is absent (the reference's own checks still run).
"""

import calendar
import json
import math
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference as R  # noqa: E402

CLI = os.environ.get("RAPPORT_CLI",
                     os.path.join(HERE, "..", "..", "build", "tools", "cli", "rapport"))
CLI = os.path.abspath(CLI)

needs_cli = pytest.mark.skipif(not (os.path.isfile(CLI) and os.access(CLI, os.X_OK)),
                               reason="rapport CLI not built (set RAPPORT_CLI)")

FIXED = {"bgnbd": {"r": 0.5, "alpha": 30, "a": 0.8, "b": 2.5},
         "gamma_gamma": {"p": 6, "q": 4, "gamma": 15}}


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------
def run_score(d, out_dir, as_of=None, config=None, name="s"):
    out = os.path.join(out_dir, name + ".csv")
    summ = os.path.join(out_dir, name + ".json")
    cmd = [CLI, "score", str(d), "--out", out, "--summary", summ, "--quiet", "--threads", "2"]
    if as_of:
        cmd += ["--as-of", as_of]
    if config is not None:
        cfg = os.path.join(out_dir, name + "_cfg.json")
        with open(cfg, "w") as f:
            json.dump(config, f)
        cmd += ["--config", cfg]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, "rapport score failed: %s\n%s" % (p.stdout, p.stderr)
    header, cpp = R.read_scores_csv(out)
    with open(summ) as f:
        summary = json.load(f)
    return header, cpp, summary


def check_against_reference(d, out_dir, as_of=None, config=None, name="s"):
    header, cpp, summary = run_score(d, out_dir, as_of=as_of, config=config, name=name)
    assert header == R.COLUMNS
    if config is not None:
        bg, gg = config["bgnbd"], config["gamma_gamma"]
    else:
        bg, gg = R.params_from_summary(summary)
    ref, info = R.score_dir(str(d), as_of=as_of, bgnbd=bg, gamma_gamma=gg, return_info=True)
    assert summary["as_of"] == info["as_of"]
    for table, c in info["counts"].items():
        got = summary["rows"][table]
        assert (got["read"], got["rejected"]) == (c["read"], c["rejected"]), table
    diffs = R.compare_frames(ref, cpp)
    assert not diffs, "\n".join(diffs)
    cyc = summary.get("referrals", {}).get("cycles_broken")
    if isinstance(cyc, list) and all(isinstance(c, dict) and "referred_id" in c for c in cyc):
        got = sorted((c["referrer_id"], c["referred_id"]) for c in cyc)
        want = sorted((a, b) for a, b, _ in info["forest"]["cycles_dropped"])
        assert got == want
    return ref, cpp, summary, info


# timestamps -------------------------------------------------------------
def epoch(y, m, d, hh=0, mi=0, ss=0):
    return calendar.timegm((y, m, d, hh, mi, ss, 0, 0, 0))


def iso(sec):
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % tuple(
        __import__("time").gmtime(sec)[:6])


DAY = 86400
T0 = epoch(2024, 7, 1)          # T for D = 2024-06-30
AS_OF = "2024-06-30"


def bt(days, secs=0):
    """ISO timestamp `days` days (+ `secs` seconds) before T0."""
    return iso(T0 - int(round(days * DAY)) - secs)


def write(path, text, bom=False, crlf=False):
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    with open(path, "wb") as f:
        f.write(data)


# ----------------------------------------------------------------------------
# (1) generated bases
# ----------------------------------------------------------------------------
_GEN = {}


def generated(tmp_path_factory, n, seed):
    key = (n, seed)
    if key not in _GEN:
        d = tmp_path_factory.mktemp("gen%d_%d" % key)
        base = d / "base"
        p = subprocess.run([CLI, "generate", str(base), "--customers", str(n), "--seed",
                            str(seed)], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        _GEN[key] = (base, d)
    return _GEN[key]


@needs_cli
@pytest.mark.parametrize("n,seed", [(300, 1), (300, 2), (2000, 1), (2000, 2)])
@pytest.mark.parametrize("as_of", [None, "2025-03-15"])
def test_generated_base(tmp_path_factory, n, seed, as_of):
    base, d = generated(tmp_path_factory, n, seed)
    name = "s_%s" % (as_of or "default")
    ref, cpp, summary, info = check_against_reference(base, str(d), as_of=as_of, name=name)
    assert len(ref) > 0
    # the fitted parameters must be a local maximum of the likelihood
    bg, gg = R.params_from_summary(summary)
    ll, grad, ok, detail = R.check_local_max(R.bgnbd_loglik, bg, ["r", "alpha", "a", "b"],
                                             info["bg_data"])
    assert ok, ("BG/NBD not at a local maximum", ll, grad, detail)
    ll, grad, ok, detail = R.check_local_max(R.gamma_gamma_loglik, gg, ["p", "q", "gamma"],
                                             info["gg_data"])
    assert ok, ("Gamma-Gamma not at a local maximum", ll, grad, detail)
    # fitted over the right customers
    if "customers" in summary.get("bgnbd", {}):
        assert summary["bgnbd"]["customers"] == len(info["bg_data"])
    if "customers" in summary.get("gamma_gamma", {}):
        assert summary["gamma_gamma"]["customers"] == len(info["gg_data"])


@needs_cli
def test_generated_fixed_params(tmp_path_factory):
    base, d = generated(tmp_path_factory, 300, 1)
    check_against_reference(base, str(d), as_of="2025-03-15", config=FIXED, name="fixed")


def with_ended_on(src, dst):
    """A copy of a generated base where every 6th customer's contract ended 120 days after
    acquisition (empty ended_on for the others), plus two bad customers rows."""
    os.makedirs(dst, exist_ok=True)
    for t in ("contacts", "purchases", "referrals"):
        with open(os.path.join(src, t + ".csv"), newline="") as f:
            write(os.path.join(dst, t + ".csv"), f.read())
    with open(os.path.join(src, "customers.csv"), newline="") as f:
        lines = f.read().splitlines()
    out = [lines[0] + ",ended_on"]
    for k, line in enumerate(lines[1:]):
        acq = R.parse_date(line.split(",")[1])
        out.append(line + "," + (R.date_str(acq + 120) if k % 6 == 2 else ""))
    out.append("BAD1,2024-05-01,,2024-04-30")  # ended before acquired
    out.append("BAD2,2024-05-01,,2024-13-01")  # not a date
    write(os.path.join(dst, "customers.csv"), "\n".join(out) + "\n")


@needs_cli
def test_ended_on_known_lost_against_reference(tmp_path_factory):
    """The card's ended_on rule (rejects, and p_alive = expected purchases = value = 0 once
    the contract ended before T) agrees cell by cell with the CLI."""
    base, d = generated(tmp_path_factory, 300, 1)
    dst = str(tmp_path_factory.mktemp("ended"))
    with_ended_on(str(base), dst)
    loaded = R.load_dir(dst)
    assert [(t, why) for t, _, why in loaded.rejections if t == "customers"] == [
        ("customers", "ended_on before acquired_on"), ("customers", "unparsable ended_on")]
    ref, cpp, summary, info = check_against_reference(dst, dst, as_of="2025-03-15", config=FIXED, name="ended")
    lost = [c["id"] for c in loaded.customers if c["ended"] is not None and c["ended"] <= R.parse_date("2025-03-15")
            and c["acq"] <= R.parse_date("2025-03-15")]
    assert len(lost) > 20


def test_reference_bgbb_and_sbg_inputs():
    """The reference's reading of the card's BG/BB and sBG inputs on hand-drawn cases (the same
    cases the C++ tests draw in tests/scoring/value_model_scoring_test.cpp)."""
    # opportunity_days 10, first purchase day 0, D = 39: periods 0,0,1,2,2 -> x 2, t_x 2, n 4
    assert R.bgbb_inputs([0, 3, 12, 25, 27], 39, 10) == (2, 2, 4)
    assert R.bgbb_inputs([0], 39, 10) == (0, 0, 4)
    assert R.bgbb_inputs([5, 14], 39, 10) == (0, 0, 3)
    assert R.bgbb_inputs([0, 38], 39, 10) == (1, 3, 4)
    # contract_period_days 30, acquired day 0, D = 100
    assert R.sbg_inputs(0, 75, 100, 30) == (2, 1)
    assert R.sbg_inputs(0, None, 100, 30) == (3, 0)
    assert R.sbg_inputs(0, 120, 100, 30) == (3, 0)
    assert R.sbg_inputs(10, 100, 100, 30) == (3, 1)
    # purchase days: same-day rows merged, only days before T
    DAY = 86400
    assert R.purchase_day_list([(5 * DAY + 10, 1.0), (5 * DAY + 20, 2.0), (3 * DAY, 1.0), (41 * DAY, 1.0)], 40) == [3, 5]


# ----------------------------------------------------------------------------
# (2a) parsing / rejection base
# ----------------------------------------------------------------------------
def make_parse_base(d):
    os.makedirs(d, exist_ok=True)
    # BOM + CRLF + other column order + extra column + blank lines + quoting
    write(os.path.join(d, "customers.csv"),
          "segment,extra,acquired_on,customer_id\n"
          "retail,x,2024-01-10,A\n"
          "\n"
          '"busi,ness","multi\nline ""quoted"", with comma",2024-02-01,B\n'
          'retail,,2024-03-01,"D,1"\n'
          'retail,,2022-01-01,"E ""q"""\n'
          "retail,,2024-06-30, F\n"
          "retail,,2024-07-01,G\n"
          "retail,,2023-02-30,Z1\n"              # not a calendar date
          "retail,,2020-01-01,A\n"               # duplicate key
          "retail,2024-01-01,Z2\n"               # too few fields
          "retail,,2024-01-01,Z6,extra\n"        # too many fields
          "retail,,2024-01-01T00:00:00Z,Z3\n"    # acquired_on must be a date alone
          "retail,,2024-1-01,Z4\n"
          "retail,,2024-01-01 ,Z5\n"             # no trimming
          "retail,,2100-02-29,Z7\n"              # not a leap year
          "\n"
          "retail,,2024-02-29,Ω\n"
          "Retail,,2024-04-01,H\n"
          "retail,,2024-05-20,M1\n"
          "retail,,2024-05-21,M2\n"
          "retail,,2024-05-22,M3\n"
          'retail,,2024-01-05,"new\nline"',      # no final newline
          bom=True, crlf=True)

    hdr = "at,customer_id,extra,channel,stage,initiator,aspect,impression,complaint,resolved_at\n"
    rows = []

    def c(at, cid="A", ch="phone", st="service", ini="business", asp="technical", imp="1",
          comp="false", res="", extra="x"):
        rows.append(",".join([at, cid, extra, ch, st, ini, asp, imp, comp, res]) + "\n")

    good_at = bt(10)
    # accepted variants
    c(good_at)
    c("2024-05-01 10:00:00")
    c("2024-05-01T10:00:00")
    c("2024-05-01")
    c("2024-02-29T12:00:00Z", cid="Ω")
    c(good_at, imp="-0")
    c(good_at, imp="02", asp="wow")
    c(good_at, imp="-02", asp="hospitality")
    c(good_at, comp="1", res="")
    c(good_at, comp="0", res="2020-01-01")           # resolved_at ignored on non-complaint
    c(bt(20), comp="true", res=bt(20))               # resolved at its own instant
    c(bt(20), comp="true", res='"%s"' % bt(15))      # quoted field
    c(good_at, cid='"D,1"', extra='"a,b\nc"')       # quoted id with comma, multiline extra
    c(good_at, cid='"E ""q"""')
    c(good_at, cid=" F")
    c(good_at, cid='"new\nline"', imp="-1")       # unknown: customers.csv is CRLF ("new\r\nline")
    c(good_at, cid="G")                              # customer acquired after D: accepted
    c(bt(5), cid="H", ch="service_call", st="welcome", ini="customer", asp="hospitality")
    for ch in sorted(R.CHANNELS):
        c(bt(40), cid="B", ch=ch, st="discovery", imp="0")
    for st in sorted(R.STAGES):
        c(bt(70), cid="B", st=st, imp="-1", asp="hospitality")
    # rejected
    c(good_at, cid="Q")                              # unknown customer
    c(good_at, cid="F")                              # " F" is the key, not "F"
    c(good_at, cid="Z1")                             # customer row was rejected
    for bad in ["2023-02-30T10:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T10:60:00Z",
                "2024-05-01T10:00:60Z", "2024-05-01T10:00Z", "2024-05-01T10:00:00+00:00",
                "2024-05-01t10:00:00Z", "2024-05-01T10:00:00Z ", " 2024-05-01",
                "2024-05-01T10:00:00ZZ", "2024-05-01Z", "24-05-01", "", "2024-05-01T10:00:00.5Z",
                "2024/05/01", "2024-05-01  10:00:00"]:
        c(bad)
    c(good_at, ch="Phone")
    c(good_at, ch="sms")
    c(good_at, st="Service")
    c(good_at, ini="Business")
    c(good_at, asp="tech")
    c(good_at, asp="")
    for bad in ["3", "-3", "+1", "1.0", "", " 1", "1 ", "--1", "x", "99999999999999999999"]:
        c(good_at, imp=bad)
    for bad in ["True", "yes", "", "t", "FALSE", "2"]:
        c(good_at, comp=bad)
    c(bt(10), comp="true", res=bt(10, 1))            # complaint resolved before its at
    c(bt(10), comp="true", res="2024-13-01")         # unparsable resolved_at on complaint
    rows.append(good_at + ",A,x,phone,service,business,technical,1,false,,\n")  # field count
    rows.append(good_at + ",A,x,phone\n")
    write(os.path.join(d, "contacts.csv"), hdr + "".join(rows[:10]) + "\n\n" + "".join(rows[10:]))

    p = ["customer_id,at,amount\n"]
    for amt in ["12.50", "0", "007", "3.14159", "0.0", "100000000000000000000000.5"]:
        p.append("A,%s,%s\n" % (bt(30), amt))
    p.append("B,%s,5\n" % bt(45))
    p.append("B,%s,7.25\n" % bt(200))
    p.append('"D,1",%s,9\n' % bt(100))
    for amt in ["-1", "1e5", "1E5", "1.", ".5", "", " 5", "5 ", "+5", "0x10", "1,5", "nan",
                "inf", "1.2.3"]:
        if "," in amt:
            amt = '"%s"' % amt
        p.append("A,%s,%s\n" % (bt(30), amt))
    p.append("Q,%s,5\n" % bt(30))                    # unknown customer
    p.append("A,2023-02-29T00:00:00Z,5\n")           # bad date
    p.append("A,%s,5,extra\n" % bt(30))              # field count
    p.append("\n\n")
    write(os.path.join(d, "purchases.csv"), "".join(p), crlf=True)

    r = ["referred_id,at,referrer_id,note\n"]
    r.append("B,2024-01-20T10:00:00Z,A,ok\n")
    r.append("A,2024-01-20T10:00:00Z,A,self\n")     # self-referral
    r.append("A,2024-01-20T10:00:00Z,,empty referrer\n")
    r.append(",2024-01-20T10:00:00Z,A,empty referred\n")
    r.append("B,2024-01-32T10:00:00Z,A,bad at\n")
    r.append("B,2024-01-20T10:00:00Z,A\n")          # field count
    r.append('"D,1",2023-05-01,"prospect ""P""",quoted ids\n')
    r.append('M1,2024-05-01T00:00:00Z,beta,tie\n')
    r.append('M1,2024-05-01,Alpha,tie (date alone = same instant)\n')
    r.append('M1,2024-05-01T00:00:00Z,alpha,tie\n')
    r.append('M2,2024-05-01T00:00:00Z,Ω,non-ascii\n')
    r.append('M2,2024-05-01T00:00:00Z,z,ascii\n')
    r.append('M3,2024-05-22T23:59:59Z,Ω,same day as acquisition converts\n')
    r.append('M3,2024-05-23T00:00:00Z,A,day after acquisition does not\n')
    write(os.path.join(d, "referrals.csv"), "".join(r), bom=True)


@needs_cli
@pytest.mark.parametrize("as_of", [AS_OF, None])
def test_parse_base(tmp_path, as_of):
    d = tmp_path / "base"
    make_parse_base(str(d))
    ref, cpp, summary, info = check_against_reference(d, str(tmp_path), as_of=as_of,
                                                      config=FIXED)
    counts = info["counts"]
    # sanity of the reference itself
    assert counts["customers"] == {"read": 20, "accepted": 12, "rejected": 8}
    assert counts["purchases"]["rejected"] == 17
    assert counts["referrals"]["rejected"] == 5
    ids = list(ref["customer_id"])
    assert "D,1" in ids and 'E "q"' in ids and " F" in ids and "Ω" in ids and "new\r\nline" in ids  # CRLF file: kept verbatim
    m1 = ref.set_index("customer_id").loc["M1"]
    assert m1["root_id"] == "Alpha"
    assert ref.set_index("customer_id").loc["M2", "root_id"] == "z"
    assert ref.set_index("customer_id").loc["M3", "root_id"] == "Ω"


# ----------------------------------------------------------------------------
# (2b) semantics base: time boundaries, components, referral forest
# ----------------------------------------------------------------------------
def make_semantics_base(d):
    os.makedirs(d, exist_ok=True)
    cust = []
    con = []
    pur = []
    ref = []

    def C(cid, acq, seg="retail"):
        cust.append("%s,%s,%s\n" % (cid, acq, seg))

    def K(cid, at, ch="phone", st="service", ini="business", asp="technical", imp=0,
          comp=False, res=""):
        con.append("%s,%s,%s,%s,%s,%s,%d,%s,%s\n" % (cid, at, ch, st, ini, asp, imp,
                                                      "true" if comp else "false", res))

    def P(cid, at, amt):
        pur.append("%s,%s,%s\n" % (cid, at, amt))

    def E(a, b, at):
        ref.append("%s,%s,%s\n" % (a, b, at))

    # continuity: acquired 182 days before T (n = 7 periods, oldest starts before A)
    C("cont", "2024-01-01")
    K("cont", bt(30))                      # exactly T-30d -> period 0
    K("cont", bt(60, 1))                   # just past T-60d -> period 2
    K("cont", bt(45), ini="customer")      # customer-initiated: no cover
    K("cont", bt(210))                     # T-210d = start of oldest period 6 (before A)
    K("cont", bt(210, 1))                  # before every period
    K("cont", iso(T0), imp=2)              # at T: does not count
    K("cont", iso(T0 + 5 * DAY), imp=-2)   # after T
    # continuity, acquired on D
    C("today", "2024-06-30")
    K("today", bt(0, 1), asp="wow", imp=1)
    # continuity: exactly 30 days of tenure (n = 1) and 31 days (n = 2)
    C("n1", "2024-06-01")
    K("n1", bt(29))
    C("n2", "2024-05-31")
    K("n2", bt(31))

    # follow_through
    C("follow", "2023-06-01")
    P("follow", bt(14), "10")               # s + 14d == T: eligible
    K("follow", iso(T0))                    # ... but a contact at T does not count
    P("follow", bt(20), "11")               # followed at exactly s + 14 d
    K("follow", bt(6))
    P("follow", bt(13, -3600), "12")        # less than 14 days before T: not eligible
    P("follow", bt(40), "13")               # only customer-initiated service contact
    K("follow", bt(35), ini="customer")
    P("follow", bt(50), "14")               # business, but closing stage
    K("follow", bt(45), st="closing")
    P("follow", bt(60), "15")               # service contact 1 s before the purchase
    K("follow", bt(60, 1))
    P("follow", bt(100, -9 * 3600), "3")    # two purchases the same day
    P("follow", bt(100, -15 * 3600), "4")   # ... a contact at 12:00 follows only the first
    K("follow", bt(100, -12 * 3600))
    P("follow", bt(400), "0")               # before acquisition, amount 0, at-instant contact
    K("follow", bt(400))
    P("follow", iso(T0), "99")              # at T: ignored
    P("follow", iso(T0 + DAY), "99")        # after T: ignored

    # recovery
    C("rec", "2023-01-01")
    K("rec", bt(30), comp=True, res=bt(23))           # delay exactly 7 d -> 1
    K("rec", bt(40), comp=True, res=bt(30))           # delay 10 d
    K("rec", bt(50), comp=True, res=bt(50))           # resolved at its own instant
    K("rec", bt(5), comp=True, res=iso(T0 + DAY))     # resolved after T, open 5 d: left out
    K("rec", bt(7), comp=True)                        # open exactly 7 d: left out
    K("rec", bt(700), comp=True, res=bt(600))         # before acquisition, very late
    K("rec", bt(20), comp=False, res=bt(10))          # not a complaint
    C("rec_open", "2023-01-01")
    K("rec_open", bt(7, 1), comp=True)                # open 7 d + 1 s -> 0, resolve_complaint
    K("rec_open", bt(3), asp="hospitality", imp=2)
    C("rec_fresh", "2023-01-01")
    K("rec_fresh", bt(2), comp=True, res=iso(T0))     # resolved exactly at T: still open
    K("rec_fresh", bt(10), imp=-1)

    # service ladder with exact power-of-two weights (ages multiple of 180 d)
    C("ladder", "2022-01-01")
    for i in range(9):
        K("ladder", bt(180), asp="technical", imp=[0, 1, 1][i % 3])
    K("ladder", bt(180), asp="technical", imp=-1)     # t = 0.9 exactly
    K("ladder", bt(360), asp="hospitality", imp=1)
    K("ladder", bt(360), asp="hospitality", imp=0)    # h = 0.5 exactly
    K("ladder", bt(365), asp="wow", imp=2)            # +2 exactly 365 d ago -> o = 1
    C("ladder_nowow", "2022-01-01")
    K("ladder_nowow", bt(180), asp="hospitality", imp=1)
    K("ladder_nowow", bt(365, 1), asp="wow", imp=2)   # 365 d + 1 s: too old
    C("ladder_basics", "2022-01-01")
    K("ladder_basics", bt(100), asp="technical", imp=-1)
    K("ladder_basics", bt(90), asp="technical", imp=1)
    K("ladder_basics", bt(1), asp="wow", imp=1)
    C("ladder_hosp", "2022-01-01")
    K("ladder_hosp", bt(10), asp="technical", imp=1)
    K("ladder_hosp", bt(1), asp="wow", imp=2)
    for k in range(0, 900, 30):
        K("ladder_hosp", bt(k + 1), ch="email", st="welcome", asp="wow", imp=0)

    # advocacy gate and ask_for_referral boundaries
    C("gate_half", "2023-01-01")
    K("gate_half", bt(5), asp="wow", imp=2)
    K("gate_half", bt(5), asp="wow", imp=-1)          # q = 0.5 exactly: no gate
    P("gate_half", bt(30), "20")                       # timing = 0.5 exactly
    C("ask", "2023-01-01")
    K("ask", bt(5), asp="wow", imp=1)
    P("ask", bt(30), "20")                             # timing 0.5, advocacy 1 -> ask
    P("ask", bt(300), "20")
    C("gate_low", "2023-01-01")
    K("gate_low", bt(5), asp="wow", imp=1)
    K("gate_low", bt(6), asp="wow", imp=-2)
    P("gate_low", bt(1), "5")
    C("neg_only", "2023-01-01")
    K("neg_only", bt(5), asp="wow", imp=-1)
    C("nothing", "2024-03-15")                          # no contacts, no purchases
    C("tenure730", "2022-07-02")                        # T - A = 730 d
    C("tenure729", "2022-07-03")
    C("late", "2024-07-01")                             # acquired after D: not scored
    K("late", bt(3), imp=1)
    P("late", bt(3), "10")

    # value inputs: repeat buyers, same-day merges, zero repeat spend, pre-acquisition
    C("v_zero", "2023-01-01")
    P("v_zero", bt(300), "10")
    P("v_zero", bt(200), "0")
    P("v_zero", bt(100), "0")
    C("v_same", "2023-01-01")
    P("v_same", bt(50, -3600), "10")
    P("v_same", bt(50, -7200), "2.5")
    P("v_same", bt(20), "4")
    P("v_same", bt(20, -60), "6")
    C("v_pre", "2024-06-01")
    P("v_pre", bt(300), "8")                           # before acquisition
    P("v_pre", bt(2), "12")
    C("v_last_day", "2023-01-01")
    P("v_last_day", bt(0, 1), "5")                     # purchase in the last second before T

    # referral forest -------------------------------------------------------
    # 3-cycle among customers X1 -> X2 -> X3 -> X1
    C("X1", "2024-03-01"); C("X2", "2024-02-10"); C("X3", "2024-02-20")
    E("X1", "X2", "2024-02-05T00:00:00Z")
    E("X2", "X3", "2024-02-15T00:00:00Z")
    E("X3", "X1", "2024-02-25T00:00:00Z")   # latest: dropped, X1 becomes a root
    E("P9", "X1", "2024-02-26T00:00:00Z")   # later converted in-edge: no fallback
    # 2-cycle with equal at: the edge into the larger referred_id (Y2) is dropped
    C("Y1", "2024-04-10"); C("Y2", "2024-04-10")
    E("Y1", "Y2", "2024-04-01T10:00:00Z")
    E("Y2", "Y1", "2024-04-01T10:00:00Z")
    # prospects as roots, chains, duplicates, non-converting edges
    C("K1", "2024-01-15"); C("K2", "2024-02-01"); C("K3", "2024-02-02")
    C("K6", "2024-03-01"); C("K7", "2024-04-01"); C("K8", "2024-01-01")
    E("P0", "P1", "2023-12-01T00:00:00Z")   # prospect -> prospect: not converted
    E("P1", "K1", "2024-01-10T08:00:00Z")
    E("K1", "K2", "2024-01-20T08:00:00Z")
    E("K1", "K2", "2024-01-21T08:00:00Z")   # repeated edge
    E("K1", "K3", "2024-01-25T08:00:00Z")
    E("K2", "K6", "2024-02-20T08:00:00Z")
    E("K6", "K7", "2024-03-20T08:00:00Z")
    E("K1", "K8", "2024-01-05T08:00:00Z")   # K8 acquired before the referral: not converted
    E("K1", "late", "2024-06-20T00:00:00Z") # referred not scored
    E("K1", "K9", "2024-06-20T00:00:00Z")   # prospect
    E("K1", "K10", iso(T0))                  # at T: ignored
    E("late", "K4", "2024-05-01T00:00:00Z") # unscored customer as root
    C("K4", "2024-05-01")
    E("K7", "K1", "2024-06-01T00:00:00Z")   # back-edge into the tree: not converted
    # an earlier converted in-edge wins over a later one that would close a cycle
    C("V1", "2024-04-10"); C("V2", "2024-04-10")
    E("ask", "V1", "2024-03-01T00:00:00Z")
    E("V1", "V2", "2024-04-01T10:00:00Z")
    E("V2", "V1", "2024-04-01T10:00:00Z")
    for i in range(12):                      # a small star for track_record weights
        C("S%02d" % i, "2024-%02d-15" % (i % 6 + 1))
        E("rec", "S%02d" % i, "2024-%02d-0%d" % (i % 6 + 1, i % 9 + 1))

    write(os.path.join(d, "customers.csv"), "customer_id,acquired_on,segment\n" + "".join(cust))
    write(os.path.join(d, "contacts.csv"),
          "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at\n"
          + "".join(con))
    write(os.path.join(d, "purchases.csv"), "customer_id,at,amount\n" + "".join(pur))
    write(os.path.join(d, "referrals.csv"), "referrer_id,referred_id,at\n" + "".join(ref))


@needs_cli
@pytest.mark.parametrize("as_of", [AS_OF, "2024-04-10", None])
def test_semantics_base(tmp_path, as_of):
    d = tmp_path / "base"
    make_semantics_base(str(d))
    ref, cpp, summary, info = check_against_reference(d, str(tmp_path), as_of=as_of,
                                                      config=FIXED)
    if as_of != AS_OF:
        return
    # sanity of the reference itself (hand-computed values)
    r = ref.set_index("customer_id")
    w = [2.0 ** (-30 * k / 180.0) for k in range(7)]
    assert r.loc["cont", "continuity"] == pytest.approx((w[0] + w[2] + w[6]) / sum(w), 1e-14)
    assert r.loc["today", "continuity"] == 1.0 and r.loc["today", "next_action"] == "none"
    assert r.loc["n1", "continuity"] == 1.0
    assert r.loc["n2", "continuity"] == pytest.approx(w[1] / (w[0] + w[1]), 1e-14)
    assert r.loc["ladder", "service_ladder"] == pytest.approx((0.9 + 0.5 + 1) / 3, 1e-14)
    assert r.loc["ladder_basics", "next_action"] in ("fix_basics", "reach_out")
    assert r.loc["gate_half", "advocacy"] == 0.5 and r.loc["gate_half", "timing"] == 0.5
    assert not r.loc["gate_half", "ask_for_referral"] and r.loc["ask", "ask_for_referral"]
    assert r.loc["rec_open", "next_action"] == "resolve_complaint"
    assert r.loc["rec_fresh", "recovery"] != r.loc["rec_fresh", "recovery"]  # NaN
    assert r.loc["tenure730", "tenure"] == 1.0 and r.loc["tenure729", "tenure"] < 1.0
    assert r.loc["nothing", "expected_value"] == 0.0
    assert math.isnan(r.loc["nothing", "p_alive"])
    assert (r.loc["X1", "root_id"], r.loc["X3", "root_id"], r.loc["X3", "generation"]) == \
        ("X1", "X1", 2)
    assert (r.loc["Y1", "root_id"], r.loc["Y2", "root_id"]) == ("Y2", "Y2")
    assert (r.loc["V1", "root_id"], r.loc["V2", "root_id"]) == ("ask", "ask")
    assert (r.loc["K7", "root_id"], r.loc["K7", "generation"]) == ("P1", 4)
    assert r.loc["K1", "katz"] == pytest.approx(2 + 0.5 + 0.25)
    assert r.loc["K1", "tree_size"] == 5 and r.loc["K1", "direct_referrals"] == 5
    assert r.loc["K4", "root_id"] == "late"
    assert "late" not in r.index


# ----------------------------------------------------------------------------
# (2c) small bases: single customer, fitted on a tiny base
# ----------------------------------------------------------------------------
@needs_cli
def test_single_customer(tmp_path):
    d = tmp_path / "base"
    os.makedirs(d)
    write(str(d / "customers.csv"), "customer_id,acquired_on\nsolo,2024-01-01\n")
    write(str(d / "purchases.csv"), "customer_id,at,amount\nsolo,2024-02-01T10:00:00Z,5\n"
          "solo,2024-03-01T10:00:00Z,7\n")
    ref, cpp, summary, info = check_against_reference(d, str(tmp_path), config=FIXED)
    assert list(ref["upserve_score"]) == [50.0]


@needs_cli
def test_small_fitted_base(tmp_path):
    """20 customers (cases/small_fit): the CLI fits both models itself; the fit
    must be a local maximum of the likelihood and all columns must agree."""
    d = os.path.join(HERE, "cases", "small_fit")
    ref, cpp, summary, info = check_against_reference(d, str(tmp_path), as_of="2024-06-30")
    bg, gg = R.params_from_summary(summary)
    ok = R.check_local_max(R.bgnbd_loglik, bg, ["r", "alpha", "a", "b"], info["bg_data"])
    assert ok[2], ok
    ok = R.check_local_max(R.gamma_gamma_loglik, gg, ["p", "q", "gamma"], info["gg_data"])
    assert ok[2], ok
    assert summary["bgnbd"]["log_likelihood"] == pytest.approx(
        R.bgnbd_loglik(bg, info["bg_data"]), rel=1e-9)


# ----------------------------------------------------------------------------
# (2d) deterministic random small bases, events packed on the boundaries
# ----------------------------------------------------------------------------
def make_random_base(d, seed):
    """Small base from random.Random(seed).random() only (stable across Pythons)."""
    os.makedirs(d, exist_ok=True)
    rnd = __import__("random").Random(seed)

    def ri(n):
        return int(rnd.random() * n)

    def pick(xs):
        return xs[ri(len(xs))]

    def stamp(sec, style=0):
        t = __import__("time").gmtime(sec)
        if style == 1 and sec % DAY == 0:
            return "%04d-%02d-%02d" % t[:3]
        if style == 2:
            return "%04d-%02d-%02d %02d:%02d:%02d" % t[:6]
        return "%04d-%02d-%02dT%02d:%02d:%02dZ" % t[:6]

    n = 10 + ri(30)
    ids = ["c%d" % i for i in range(n)]
    acq = {}
    cust = ["customer_id,acquired_on,segment"]
    for cid in ids:
        k = pick([0, 1, 29, 30, 31, 59, 60, 61, 100, 181, 365, 366, 729, 730, 731, 900,
                  ri(1000), ri(1000), -1, -3])
        acq[cid] = T0 - DAY - k * DAY
        cust.append("%s,%s,%s" % (cid, stamp(acq[cid])[:10], pick(["a", "b", ""])))
    ages = [0, 1, 7, 13, 14, 15, 29, 30, 31, 60, 90, 180, 360, 365, 366, 400, 700]

    def when():
        k = pick(ages) if rnd.random() < 0.7 else rnd.random() * 800
        s = pick([0, 0, 1, -1, 3600, 43200]) if rnd.random() < 0.7 else ri(DAY)
        t = T0 - int(k * DAY) - s
        if rnd.random() < 0.05:
            t = T0 + ri(5 * DAY)
        return t

    con = ["customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at"]
    for cid in ids:
        for _ in range(ri(14)):
            at = when()
            comp = rnd.random() < 0.25
            res = ""
            if comp and rnd.random() < 0.7:
                off = pick([0, 7 * DAY, 7 * DAY + 1, 8 * DAY, 10 * DAY, 30 * DAY, ri(20 * DAY)])
                res = stamp(at + off, pick([0, 2]))
            elif rnd.random() < 0.05:
                res = stamp(at - ri(DAY))
            con.append(",".join([
                cid, stamp(at, pick([0, 0, 1, 2])), pick(sorted(R.CHANNELS)),
                pick(sorted(R.STAGES)), pick(["business", "business", "customer"]),
                pick(["technical", "hospitality", "wow"]), str(pick([-2, -1, 0, 0, 1, 1, 2])),
                pick(["true", "1"]) if comp else pick(["false", "0"]), res]))
    pur = ["customer_id,at,amount"]
    for cid in ids:
        first = when()
        for _ in range(ri(7)):
            t = first if rnd.random() < 0.2 else when()
            pur.append("%s,%s,%s" % (cid, stamp(t, pick([0, 1])),
                                     pick(["0", "5", "12.5", "%.2f" % (rnd.random() * 100), "7"])))
    refs = ["referrer_id,referred_id,at"]
    people = ids + ["p%d" % i for i in range(5)]
    for _ in range(ri(3 * n)):
        a = pick(people)
        b = pick(people)
        if a == b:
            continue
        if b in acq and rnd.random() < 0.8:
            t = acq[b] - pick([0, 0, 1, DAY, 3 * DAY, 10 * DAY]) + pick([0, DAY - 1, 43200])
            if rnd.random() < 0.3:
                t = acq[b] - ri(30) * DAY
        else:
            t = when()
        refs.append("%s,%s,%s" % (a, b, stamp(t, pick([0, 1]))))
    for name, rows in (("customers", cust), ("contacts", con), ("purchases", pur),
                       ("referrals", refs)):
        write(os.path.join(d, name + ".csv"), "\n".join(rows) + "\n")


@needs_cli
@pytest.mark.parametrize("chunk", range(4))
def test_random_small_bases(tmp_path, chunk):
    for seed in range(chunk * 25, chunk * 25 + 25):
        d = tmp_path / ("b%d" % seed)
        make_random_base(str(d), seed)
        as_of = [None, AS_OF, "2024-05-31", "2024-06-29"][seed % 4]
        cfg = FIXED if seed % 2 else {"bgnbd": {"r": 0.7, "alpha": 12.5, "a": 1.9, "b": 3.1},
                                      "gamma_gamma": {"p": 3.5, "q": 2.5, "gamma": 40}}
        check_against_reference(d, str(tmp_path), as_of=as_of, config=cfg, name="s%d" % seed)


# ----------------------------------------------------------------------------
# reference-only checks (no CLI needed)
# ----------------------------------------------------------------------------
def test_reference_timestamp_rules():
    assert R.parse_timestamp("2024-02-29") == epoch(2024, 2, 29)
    assert R.parse_timestamp("2024-02-29 23:59:59") == epoch(2024, 2, 29, 23, 59, 59)
    assert R.parse_timestamp("2024-02-29T23:59:59Z") == epoch(2024, 2, 29, 23, 59, 59)
    for bad in ["2023-02-29", "2024-02-29T24:00:00", "2024-02-29T23:59:59Z\n",
                "2024-02-29Z", "２０２４-02-29", "2024-02-29T23:59"]:
        assert R.parse_timestamp(bad) is None, bad
    assert R.parse_date("2024-02-29T00:00:00") is None


def test_reference_bgnbd_closed_forms():
    # p_alive = 1 and E[Y] equals the unconditional form at x = 0, T = 0
    par = {"r": 0.5, "alpha": 30.0, "a": 1.7, "b": 2.5}
    pa, ey = R.bgnbd_predict(par, 0, 0, 0)
    assert pa == 1.0
    r, al, a, b, t = 0.5, 30.0, 1.7, 2.5, 365.0
    mpmath = pytest.importorskip("mpmath")
    uncond = (a + b - 1) / (a - 1) * (1 - (al / (al + t)) ** r
                                      * float(mpmath.hyp2f1(r, b, a + b - 1, t / (al + t))))
    assert ey == pytest.approx(uncond, rel=1e-12)
    # p_alive against the textbook closed form
    x, tx, T = 3, 80.0, 120.0
    want = 1.0 / (1.0 + a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x))
    assert R.bgnbd_predict(par, x, tx, T)[0] == pytest.approx(want, rel=1e-13)


def test_reference_loglik_gradient_check():
    """check_local_max accepts a numerically found maximum and rejects a
    perturbed point (guards the guard used on the C++ fits)."""
    opt = pytest.importorskip("scipy.optimize")
    data = [(0, 0, 100), (1, 30, 100), (3, 80, 120), (0, 0, 50), (2, 10, 90),
            (5, 200, 210), (0, 0, 300), (1, 5, 400), (7, 150, 160), (2, 100, 380)] * 3
    keys = ["r", "alpha", "a", "b"]

    def f(th):
        return -R.bgnbd_loglik(dict(zip(keys, [math.exp(v) for v in th])), data)
    res = opt.minimize(f, [0.0, 3.0, 0.0, 1.0], method="BFGS", options={"gtol": 1e-9})
    best = dict(zip(keys, [math.exp(v) for v in res.x]))
    assert R.check_local_max(R.bgnbd_loglik, best, keys, data)[2]
    off = dict(best)
    off["r"] *= 1.05
    assert not R.check_local_max(R.bgnbd_loglik, off, keys, data)[2]
