"""rapport.report (the HTML page) and rapport.plot (the same views with matplotlib)."""

import json
import re

import pytest

import rapport


def _figures(html):
    return re.findall(r'data-metric="([^"]*)" data-value="([^"]*)"', html)


def _at(summary, pointer):
    node = summary
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def test_report_figures_equal_the_summary(base_dir, tmp_path):
    out = tmp_path / "report.html"
    html = rapport.report(base_dir, out=out, currency="€", title="Q2 <review>")
    assert out.read_text(encoding="utf-8") == html
    assert "<title>Q2 &lt;review&gt;</title>" in html
    summary = rapport.summary(base_dir)
    figures = _figures(html)
    assert len(figures) >= 40
    for pointer, value in figures:
        expected = _at(summary, pointer)
        assert (expected is None) if value == "" else float(value) == expected, pointer


def test_report_equals_the_cli_page(base_dir, tmp_path, cli):
    import subprocess

    out = tmp_path / "cli.html"
    subprocess.run([cli, "report", str(base_dir), "--out", str(out)], check=True, capture_output=True)
    assert rapport.report(base_dir) == out.read_text(encoding="utf-8")


def test_report_rejects_negative_counts(base_dir):
    with pytest.raises(ValueError):
        rapport.report(base_dir, top_n=-1)


def test_every_plot_returns_its_axes(base_dir):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import rapport.plot as plot

    result = rapport.run(base_dir)
    s, d = result.scores, result.summary
    views = {
        "loyalty_distribution": plot.loyalty_distribution(s),
        "loyalty_per_segment": plot.loyalty_per_segment(d),
        "loyalty_components": plot.loyalty_components(s),
        "loyalty_by_value_decile": plot.loyalty_by_value_decile(d),
        "critical_wheel": plot.critical_wheel(d),
        "p_alive_distribution": plot.p_alive_distribution(s),
        "expected_value_distribution": plot.expected_value_distribution(s),
        "upserve_top": plot.upserve_top(s, n=5),
        "next_actions": plot.next_actions(d),
        "chain_depth": plot.chain_depth(d),
        "largest_trees": plot.largest_trees(d),
    }
    for name, ax in views.items():
        assert isinstance(ax, matplotlib.axes.Axes), name
        assert ax.get_title(), name
    # the bars are the summary's numbers
    bars = [p.get_width() for p in views["next_actions"].patches]
    assert bars == [d["next_actions"][a] for a in plot._ACTIONS]
    depth = [p.get_height() for p in views["chain_depth"].patches]
    assert depth == d["referrals"]["chain_depth_histogram"]
    assert len(views["upserve_top"].patches) == 5
    fig = plot.overview(s, d)
    assert len([a for a in fig.axes if a.get_visible()]) == len(views)
    assert rapport.plot is plot
