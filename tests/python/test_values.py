"""Values, not keys: rapport.score / summary / explain on tiny hand-drawn DataFrame bases.

Every case is scored as of D = 2024-03-31, so T (the midnight ending D) is 2024-04-01T00:00Z, with
fixed value-model parameters (no fit). Each expected number is computed by hand in the comments.
"""

import datetime as dt
import math

import pandas as pd
import pytest

import rapport

AS_OF = "2024-03-31"
T = dt.datetime(2024, 4, 1)
DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)
FIXED = {
    "bgnbd": {"r": 0.5, "alpha": 30.0, "a": 0.8, "b": 2.5},
    "gamma_gamma": {"p": 6.0, "q": 4.0, "gamma": 15.0},
    "threads": 1,
}
CONTACT_COLUMNS = ["customer_id", "at", "channel", "stage", "initiator", "aspect", "impression", "complaint",
                   "resolved_at"]


def iso(t):
    return t if isinstance(t, str) else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def customers(*rows):
    """rows: (id, acquired_on[, segment])"""
    return pd.DataFrame([(r[0], r[1], r[2] if len(r) > 2 else "") for r in rows],
                        columns=["customer_id", "acquired_on", "segment"])


def contact(cid, at, initiator="business", stage="welcome", aspect="technical", impression=0, complaint=False,
            resolved_at=None):
    return (cid, iso(at), "visit", stage, initiator, aspect, impression, complaint,
            None if resolved_at is None else iso(resolved_at))


def contacts(*rows):
    return pd.DataFrame(list(rows), columns=CONTACT_COLUMNS)


def purchases(*rows):
    """rows: (id, at, amount)"""
    return pd.DataFrame([(c, iso(t), a) for c, t, a in rows], columns=["customer_id", "at", "amount"])


def referrals(*rows):
    """rows: (referrer, referred, at)"""
    return pd.DataFrame([(a, b, iso(t)) for a, b, t in rows], columns=["referrer_id", "referred_id", "at"])


def config(**changes):
    return {**FIXED, **changes}


def approx(v):
    return pytest.approx(v, abs=1e-9)


def by_id(df):
    return df.set_index("customer_id")


# ---------------------------------------------------------------------------------------------
# score: every column of a hand-computed customer

def test_score_hand_computed_row():
    #  as of 2024-03-31; A acquired 2024-02-01 (T − A = 60 d: 2 periods)
    #
    #  period 1 [01-02 .. 03-02)           period 0 [03-02 .. T)
    #  02-05 buy 10 · 02-10 complaint      03-10 buy 20 · 03-15 +2 hospitality (business)
    #  (customer, tech, −1, resolved        · 03-20 service (business, tech, 0) · 03-25 buy 30
    #   02-20: 10 days late)
    #
    #  w(age) = 2^(−age/180), ages in days before T:
    #  continuity: only period 0 covered → 1 / (1 + 2^(−30/180))
    #  follow_through: 02-05 (age 56) not followed, 03-10 (age 22) followed by 03-20; 03-25 not
    #    eligible (03-25 + 14 d > T) → w(22) / (w(22) + w(56))
    #  impression: P = 2·w(17), N = w(51) → q = P / (P + 2N)
    #  recovery: 10-day delay → 2^(−(10−7)/7)
    #  ladder: t = w(12) / (w(51) + w(12)) < 0.9 → t/3
    #  L = 100·(0.3·cont + 0.25·ft + 0.2·q + 0.15·rec + 0.1·ladder)
    #  gaps: continuity 0.3·(1 − 0.5138) = 0.146 is the largest → reach_out
    #  referral: advocacy q, track_record 0, chain_reach 0, timing 2^(−7/30), tenure 60/730;
    #    q > 0.5: no gate → R = 100·(0.3q + 0.2·timing + 0.15·tenure); ask: q < 0.7 → no
    #  value: x = 2, t_x = 49, T = 55, m̄ = 25 → spend (15 + 25·2)·6/(6·2 + 4 − 1) = 26
    df = rapport.score(
        customers(("A", "2024-02-01", "retail")),
        contacts(contact("A", "2024-02-10", "customer", aspect="technical", impression=-1, complaint=True,
                         resolved_at="2024-02-20"),
                 contact("A", "2024-03-15", "business", "discovery", "hospitality", 2),
                 contact("A", "2024-03-20", "business", "service", "technical", 0)),
        purchases(("A", "2024-02-05", 10), ("A", "2024-03-10", 20), ("A", "2024-03-25", 30)),
        as_of=AS_OF, config=FIXED)
    row = df.iloc[0]

    def w(age):
        return 2 ** (-age / 180)

    cont = 1 / (1 + 2 ** (-30 / 180))
    ft = w(22) / (w(22) + w(56))
    P, N = 2 * w(17), w(51)
    q = P / (P + 2 * N)
    rec = 2 ** (-3 / 7)
    ladder = (w(12) / (w(51) + w(12))) / 3
    L = 100 * (0.3 * cont + 0.25 * ft + 0.2 * q + 0.15 * rec + 0.1 * ladder)
    assert row["continuity"] == approx(cont)
    assert row["follow_through"] == approx(ft)
    assert row["impression"] == approx(q)
    assert row["recovery"] == approx(rec)
    assert row["service_ladder"] == approx(ladder)
    assert row["loyalty_given"] == approx(L)
    assert row["next_action"] == "reach_out"
    timing, tenure = 2 ** (-7 / 30), 60 / 730
    assert row["advocacy"] == approx(q)
    assert row["track_record"] == 0 and row["chain_reach"] == 0
    assert row["timing"] == approx(timing)
    assert row["tenure"] == approx(tenure)
    assert row["referral_potential"] == approx(100 * (0.3 * q + 0.2 * timing + 0.15 * tenure))
    assert not row["ask_for_referral"]
    assert row["p_alive"] == approx(rapport.bgnbd_p_alive(FIXED["bgnbd"], 2, 49, 55))
    ev = rapport.bgnbd_expected_purchases(FIXED["bgnbd"], 365, 2, 49, 55) * 26.0
    assert row["expected_value"] == pytest.approx(ev, rel=1e-12)
    assert row["upserve_value"] == pytest.approx(ev * (1 - L / 100), rel=1e-12)
    assert row["upserve_score"] == 50.0  # n = 1
    assert (row["direct_referrals"], row["converted_referrals"], row["generation"], row["tree_size"]) == (0, 0, 0, 1)
    assert row["root_id"] == "A" and row["katz"] == 0


# ---------------------------------------------------------------------------------------------
# summary

def test_summary_critical_wheel_service_share_over_all_contacts():
    #  A: welcome 03-01, welcome 03-02, discovery 03-03, service 03-10, welcome at T (not counted)
    #  B: presentation 03-05, service 03-20; N (acquired after D): closing 03-15 (not counted)
    #  → welcome 2, discovery 1, presentation 1, closing 0, service 2: sales 4, all 6
    #  shares 0.5/0.25/0.25/0, gaps +0.1/−0.05/+0.05/−0.1; service_share 2/6 (not 2/4)
    s = rapport.summary(
        customers(("A", "2024-01-01"), ("B", "2024-02-01"), ("N", "2024-04-01")),
        contacts(contact("A", "2024-03-01", stage="welcome"), contact("A", "2024-03-02", stage="welcome"),
                 contact("A", "2024-03-03", stage="discovery"), contact("A", "2024-03-10", stage="service"),
                 contact("A", T, stage="welcome"), contact("B", "2024-03-05", stage="presentation"),
                 contact("B", "2024-03-20", "customer", stage="service"),
                 contact("N", "2024-03-15", stage="closing")),
        as_of=AS_OF, config=FIXED)
    w = s["critical_wheel"]
    assert w["service_share"] == approx(1 / 3)
    assert w["service_contacts"] == 2 and w["sales_stage_contacts"] == 4
    for stage, n, share, target in [("welcome", 2, 0.5, 0.4), ("discovery", 1, 0.25, 0.3),
                                    ("presentation", 1, 0.25, 0.2), ("closing", 0, 0.0, 0.1)]:
        assert w["stages"][stage]["contacts"] == n
        assert w["stages"][stage]["share"] == approx(share)
        assert w["stages"][stage]["gap"] == approx(share - target)


def test_summary_revenue_shares():
    #  A (2024-01-01): 02-01 20 | 01-10T15:00 5 | 01-10T09:00 10 | at T 1000 (not counted)
    #  Bt (T − A = 730 d): 03-01 40 | 03-05 25;  E (729 d): 2022-01-15 50 | 2024-02-01 100
    #  F (acquired after D): 300 (not counted)
    #  total 250; repeat (after each customer's first purchase DAY) 20 + 25 + 100 = 145 → 0.58;
    #  two years or more: Bt's 65 → 0.26
    s = rapport.summary(
        customers(("A", "2024-01-01"), ("Bt", "2022-04-02"), ("E", "2022-04-03"), ("F", "2024-04-01")),
        purchases=purchases(("A", "2024-02-01", 20), ("A", "2024-01-10T15:00:00", 5),
                            ("A", "2024-01-10T09:00:00", 10), ("A", T, 1000), ("Bt", "2024-03-01", 40),
                            ("Bt", "2024-03-05", 25), ("E", "2022-01-15", 50), ("E", "2024-02-01", 100),
                            ("F", "2024-03-15", 300)),
        as_of=AS_OF, config=FIXED)
    assert s["revenue"]["total"] == approx(250)
    assert s["revenue"]["repeat_share"] == approx(0.58)
    assert s["revenue"]["from_customers_two_years_or_more_share"] == approx(0.26)


def test_summary_referrals():
    #  P ─▶ R ─▶ X ─▶ Y,  U ─▶ V,  K ─▶ S  (P, K prospects; R ─▶ Z: Z acquired after D; a repeated
    #  R ─▶ X after X's acquisition; U ─▶ R after T)
    #  scored n = 6, people 9, forest edges 5 → k_factor 5/6 (not 5/9); edges before T 7;
    #  generations U 0 | R V S 1 | X 2 | Y 3; trees P 4, K 2, U 2 (tie by id: K first)
    s = rapport.summary(
        customers(("R", "2023-01-01"), ("X", "2024-01-15"), ("Y", "2024-02-01"), ("Z", "2024-04-01"),
                  ("U", "2024-01-01"), ("V", "2024-02-01"), ("S", "2024-03-01")),
        referrals=referrals(("P", "R", "2022-12-01"), ("R", "X", "2024-01-10"), ("X", "Y", "2024-01-20"),
                            ("R", "Z", "2024-03-01"), ("R", "X", "2024-02-01"), ("U", "V", "2024-01-05"),
                            ("K", "S", "2024-02-15"), ("U", "R", "2024-04-05")),
        as_of=AS_OF, config=FIXED)
    r = s["referrals"]
    assert s["customers_scored"] == 6
    assert r["k_factor"] == approx(5 / 6)
    assert r["converted_referrals"] == 5
    assert r["edges_before_as_of"] == 7
    assert r["chain_depth_histogram"] == [1, 3, 1, 1]
    assert [(t["root_id"], t["tree_size"]) for t in r["largest_trees"]] == [("P", 4), ("K", 2), ("U", 2)]


def test_summary_distribution_quantiles_and_segments():
    #  continuity and impression weigh 1 each; every contact is customer-initiated, so continuity
    #  is 0 (with evidence) and L = 100·q/2, every impression at T − 180 d
    #  north: +1 → 50, −1 → 0, +1 −1 → 50/3 | south: +2 −1 → 25, +2 +2 −1 → 100/3 |
    #  "": +1 +1 +1 −1 → 30, +1 +1 −1 → 25
    #  overall sorted 0, 50/3, 25, 25, 30, 100/3, 50: p10 10, p25 125/6, median 25, p75 95/3, p90 40
    at = T - 180 * DAY
    rows = [("c1", "north", [1]), ("c2", "north", [-1]), ("c3", "north", [1, -1]), ("c4", "south", [2, -1]),
            ("c5", "south", [2, 2, -1]), ("c6", "", [1, 1, 1, -1]), ("c7", "", [1, 1, -1])]
    s = rapport.summary(
        customers(*[(c, "2024-01-01", seg) for c, seg, _ in rows]),
        contacts(*[contact(c, at, "customer", "service", "wow", v) for c, _, imps in rows for v in imps]),
        as_of=AS_OF, config=config(loyalty_weights=(1, 0, 1, 0, 0)))
    o = s["loyalty_given"]["overall"]
    assert [o[k] for k in ("customers", "min", "max")] == [7, approx(0), approx(50)]
    assert o["mean"] == approx(180 / 7)
    assert [o[k] for k in ("p10", "p25", "median", "p75", "p90")] == [
        approx(10), approx(125 / 6), approx(25), approx(95 / 3), approx(40)]
    seg = s["loyalty_given"]["per_segment"]
    assert set(seg) == {"north", "south", "(none)"}
    assert seg["(none)"]["median"] == approx(27.5) and seg["(none)"]["p10"] == approx(25.5)
    assert seg["north"]["p90"] == approx(130 / 3)


# ---------------------------------------------------------------------------------------------
# explain

def test_explain_contributions_renormalised():
    #  X acquired 2024-03-02 (one period), business hospitality +1 on 03-20, no purchases;
    #  X ─(T − 180 d)─▶ Y ─(2024-02-01)─▶ Z, both converting.
    #  loyalty: continuity 1, impression 1, ladder (1 + 1 + 0)/3; follow-through and recovery no
    #  evidence → evidenced weights 0.6: contributions 50, 100/3, 100/9; L = 850/9
    #  referral: advocacy 1, track 1 − e^(−0.5), chain 1 − e^(−0.75), timing none, tenure 30/730;
    #  evidenced weights 0.8 → contributions 37.5, 25·track, 18.75·chain, 18.75·tenure
    ex = rapport.explain(
        customers(("X", "2024-03-02"), ("Y", "2024-01-01"), ("Z", "2024-02-15")),
        contacts(contact("X", "2024-03-20", "business", "welcome", "hospitality", 1)),
        referrals=referrals(("X", "Y", T - 180 * DAY), ("Y", "Z", "2024-02-01")),
        as_of=AS_OF, config=FIXED)
    x = ex[0]
    assert x["customer_id"] == "X"
    comps = {c["name"]: c for c in x["loyalty_given"]["components"]}
    assert comps["continuity"]["contribution"] == approx(50)
    assert comps["continuity"]["effective_weight"] == approx(0.5)
    assert comps["impression"]["contribution"] == approx(100 / 3)
    assert comps["service_ladder"]["contribution"] == approx(100 / 9)
    assert comps["follow_through"]["contribution"] is None and comps["follow_through"]["note"] == "no evidence"
    assert x["loyalty_given"]["value"] == approx(850 / 9)
    assert x["next_action"]["action"] == "create_wow" and x["next_action"]["gap"] == approx(0.1 / 3)
    track, chain = 1 - math.exp(-0.5), 1 - math.exp(-0.75)
    rc = {c["name"]: c for c in x["referral_potential"]["components"]}
    assert rc["advocacy"]["contribution"] == approx(37.5)
    assert rc["track_record"]["contribution"] == approx(25 * track)
    assert rc["chain_reach"]["contribution"] == approx(18.75 * chain)
    assert rc["chain_reach"]["evidence"] == 2
    assert rc["tenure"]["contribution"] == approx(18.75 * 30 / 730)
    assert x["referral_potential"]["value"] == approx(37.5 + 25 * track + 18.75 * chain + 18.75 * 30 / 730)
    assert x["referrals"]["tree_size"] == 3 and x["referrals"]["katz"] == approx(1.5)


# ---------------------------------------------------------------------------------------------
# boundaries: exactly on the edge, one second (or day) either side

def test_follow_through_window_and_eligibility_edges():
    s = dt.datetime(2024, 2, 1, 12)
    end = s + 14 * DAY
    cases = {"before_start": s - SECOND, "at_start": s, "at_end": end, "after_end": end + SECOND}
    edge = T - 14 * DAY  # a purchase here has s + 14 d == T: eligible
    df = by_id(rapport.score(
        customers(*[(c, "2024-01-01") for c in [*cases, "eligible", "not_eligible"]]),
        contacts(*[contact(c, at, "business", "service") for c, at in cases.items()]),
        purchases(*[(c, s, 10) for c in cases], ("eligible", edge, 10), ("not_eligible", edge + SECOND, 10)),
        as_of=AS_OF, config=FIXED))
    assert df["follow_through"][["before_start", "at_start", "at_end", "after_end"]].tolist() == [0, 1, 1, 0]
    assert df["follow_through"]["eligible"] == 0
    assert math.isnan(df["follow_through"]["not_eligible"])


def test_continuity_period_edge():
    #  acquired T − 60 d: periods [T−60d, T−30d) and [T−30d, T); g = 2^(−1/6)
    #  contact at T − 30 d → period 0: 1/(1 + g); at T − 30 d − 1 s → period 1: g/(1 + g)
    g = 2 ** (-1 / 6)
    df = by_id(rapport.score(
        customers(("p0", "2024-02-01"), ("p1", "2024-02-01")),
        contacts(contact("p0", T - 30 * DAY), contact("p1", T - 30 * DAY - SECOND)),
        as_of=AS_OF, config=FIXED))
    assert df["continuity"]["p0"] == approx(1 / (1 + g))
    assert df["continuity"]["p1"] == approx(g / (1 + g))


def test_wow_window_and_ladder_thresholds():
    #  wow: hospitality +2 at age exactly 365 d → ladder (1 + 1 + 1)/3 = 1; 365 d + 1 s → 2/3
    #  thresholds (all at T − 180 d): 9 technical 0 + 1 technical −1 → t = 0.9 exactly;
    #  hospitality +2 and 0 → h = 0.5 exactly → ladder (0.9 + 0.5 + 1)/3 = 0.8; continuity (no
    #  business contact: 0) weighs 0.01, so the ladder's gap 0.2 chooses the action
    at = T - 180 * DAY
    edge_rows = ([contact("edges", at, "customer", "service", "technical", 0)] * 9
                 + [contact("edges", at, "customer", "service", "technical", -1),
                    contact("edges", at, "customer", "service", "hospitality", 2),
                    contact("edges", at, "customer", "service", "hospitality", 0)])
    df = by_id(rapport.score(
        customers(("wow_in", "2023-01-01"), ("wow_out", "2023-01-01"), ("edges", "2023-01-01")),
        contacts(contact("wow_in", T - 365 * DAY, "customer", "service", "hospitality", 2),
                 contact("wow_out", T - 365 * DAY - SECOND, "customer", "service", "hospitality", 2),
                 *edge_rows),
        as_of=AS_OF, config=config(loyalty_weights=(0.01, 0, 0, 0, 1))))
    assert df["service_ladder"]["wow_in"] == approx(1)
    assert df["service_ladder"]["wow_out"] == approx(2 / 3)
    assert df["service_ladder"]["edges"] == approx(0.8)
    assert df["next_action"]["edges"] == "create_wow"


def test_default_as_of_ignores_resolved_at():
    #  latest `at` 2024-03-01, a resolution on 2024-03-20 → D = 2024-03-01; the complaint is then
    #  open and 1 day old → recovery left out
    df = rapport.score(customers(("A", "2024-03-01")),
                       contacts(contact("A", "2024-03-01", "customer", complaint=True, resolved_at="2024-03-20")),
                       config=FIXED)
    assert df.attrs["as_of"] == dt.date(2024, 3, 1)
    assert math.isnan(df["recovery"][0])


def test_recovery_seven_day_edge_and_acquisition_edges():
    #  complaints on 2024-03-01 resolved after 7 d → 1, after 7 d + 1 s → 2^(−(1/86400)/7)
    #  acquired on D → scored; on D + 1 → not
    at = dt.datetime(2024, 3, 1)
    df = by_id(rapport.score(
        customers(("on_time", "2024-01-01"), ("late", "2024-01-01"), ("on_D", AS_OF), ("after_D", "2024-04-01")),
        contacts(contact("on_time", at, "customer", complaint=True, resolved_at=at + 7 * DAY),
                 contact("late", at, "customer", complaint=True, resolved_at=at + 7 * DAY + SECOND)),
        as_of=AS_OF, config=FIXED))
    assert df["recovery"]["on_time"] == 1.0
    assert df["recovery"]["late"] == approx(2 ** (-(1 / 86400) / 7)) and df["recovery"]["late"] < 1
    assert "on_D" in df.index and "after_D" not in df.index
    assert df["tenure"]["on_D"] == approx(1 / 730)


def test_referral_converts_on_the_date_of_at():
    df = by_id(rapport.score(
        customers(("ref", "2023-01-01"), ("same_day", "2024-03-10"), ("day_before", "2024-03-09")),
        referrals=referrals(("ref", "same_day", "2024-03-10T15:00:00"), ("ref", "day_before", "2024-03-10")),
        as_of=AS_OF, config=FIXED))
    assert df["generation"]["same_day"] == 1 and df["root_id"]["same_day"] == "ref"
    assert df["generation"]["day_before"] == 0 and df["root_id"]["day_before"] == "day_before"
    assert df["converted_referrals"]["ref"] == 1 and df["direct_referrals"]["ref"] == 2


def test_csv_header_names_are_case_sensitive(tmp_path):
    (tmp_path / "customers.csv").write_text("customer_id,acquired_on,Segment\nA,2024-01-01,north\n")
    s = rapport.summary(tmp_path, as_of=AS_OF, config=FIXED)
    assert list(s["loyalty_given"]["per_segment"]) == ["(none)"]  # `Segment` is not `segment`
    (tmp_path / "customers.csv").write_text("Customer_ID,acquired_on\nA,2024-01-01\n")
    with pytest.raises(rapport.InputError, match="customer_id"):
        rapport.score(tmp_path, as_of=AS_OF, config=FIXED)
