/* hnplus league table site: plain JS, no build step, works from file:// (data comes from data.js). */
(function () {
  "use strict";
  var D = window.HNPLUS_DATA;
  var T = {
    zh: {
      title: "河南省“互联网+”行动计划落实情况排名", nav_table: "排名表", nav_map: "地图", nav_method: "方法说明",
      nav_downloads: "数据下载", period: "报告期", scope: "范围", overall: "总体", rank: "名次", change: "变化",
      city: "城市", score: "总分", score_sa: "按人口调整得分", rank_sa: "按人口调整名次",
      sa_hint: "按人口调整:以人口计量的固定区间指标按每百万常住人口计分,小城市不因规模小而吃亏。", interval: "名次区间", light: "信号灯", on_track: "进度", coverage: "覆盖率",
      table_hint: "点击列标题排序;点击城市查看详情。", new_entry: "新", lang: "English",
      actions: "各行动得分", trend: "总分与名次走势", weakest: "最薄弱的专项", special: "专项", action: "行动",
      provenance: "数据来源", reports: "城市报告", feeds: "开放数据源", file: "文件", sha: "SHA-256",
      indicator_file: "指标得分明细(含来源行号)", files: "文件", size: "大小", by_period: "按报告期",
      dataset: "数据集", method_version: "方法版本", stale: "未更新的数据源", checks: "校验",
      no_map: "地图组件未安装,地图不可用。", back: "返回排名表", on: "按期", off: "落后",
      coverage_note: "数据覆盖率", status: "状态", track_achieved: "已达标", track_on_track: "按期推进",
      track_moderately_improving: "稳步改善", track_stagnating: "停滞", track_decreasing: "倒退"
    },
    en: {
      title: "Henan Internet+ action plan: city league table", nav_table: "League table", nav_map: "Map",
      nav_method: "Methodology", nav_downloads: "Downloads", period: "Period", scope: "Scope", overall: "Overall",
      rank: "Rank", change: "Change", city: "City", score: "Score", score_sa: "Size-adjusted score",
      rank_sa: "Size-adjusted rank",
      sa_hint: "Size-adjusted: goalpost indicators sized by population are scored per million residents, so small cities "
        + "are not penalised for being small.", interval: "Rank interval", light: "Light",
      on_track: "Progress", coverage: "Coverage", table_hint: "Click a column header to sort; click a city for its profile.",
      new_entry: "new", lang: "中文", actions: "Action scores", trend: "Score and rank over time",
      weakest: "Weakest specials", special: "Special", action: "Action", provenance: "Provenance", reports: "City reports",
      feeds: "Open-data feeds", file: "File", sha: "SHA-256", indicator_file: "Indicator scores (with source rows)",
      files: "Files", size: "Size", by_period: "By period", dataset: "Dataset", method_version: "Method version",
      stale: "Stale feeds", checks: "Checks", no_map: "The map component is not installed; no map.",
      back: "Back to the league table", on: "on track", off: "behind", coverage_note: "Data coverage", status: "Status",
      track_achieved: "achieved", track_on_track: "on track", track_moderately_improving: "improving",
      track_stagnating: "stagnating", track_decreasing: "decreasing"
    }
  };
  var lang = "zh";
  try { lang = window.localStorage.getItem("hnplus-lang") || "zh"; } catch (e) { lang = "zh"; }
  if (!T[lang]) { lang = "zh"; }
  function t(k) { return T[lang][k] || k; }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function fmt(v, d) { return v === null || v === undefined ? "–" : Number(v).toFixed(d === undefined ? 1 : d); }

  var cols = D.league.columns;
  var ci = {};
  cols.forEach(function (c, i) { ci[c] = i; });
  var has = function (c) { return ci[c] !== undefined; };
  var rows = D.league.rows.map(function (r) {
    var o = {};
    cols.forEach(function (c, i) { o[c] = r[i]; });
    return o;
  });
  var cityName = {};
  D.cities.forEach(function (c) { cityName[c[0]] = { zh: c[1], en: c[2] }; });
  var actionName = {};
  D.actions.forEach(function (a) { actionName[a[0]] = { zh: a[1], en: a[2] }; });
  function cname(code) { return cityName[code] ? cityName[code][lang] : code; }
  function aname(code) { return code === "overall" ? t("overall") : (actionName[code] ? actionName[code][lang] : code); }
  function sname(code) { var s = D.special_names[code]; return s ? (lang === "zh" ? s[0] : s[1]) : code; }
  var byKey = {};
  rows.forEach(function (r) { byKey[r.period + "|" + r.city_code + "|" + r.scope] = r; });

  var state = { period: D.latest_period, sortKey: "rank", sortDir: 1, mapPeriod: D.latest_period, mapScope: "overall" };
  var charts = [];

  function changeCell(v) {
    if (v === null || v === undefined) { return '<span class="same">' + t("new_entry") + "</span>"; }
    if (v > 0) { return '<span class="up">▲' + v + "</span>"; }
    if (v < 0) { return '<span class="down">▼' + (-v) + "</span>"; }
    return '<span class="same">–</span>';
  }
  function lightCell(v) {
    if (v === null || v === undefined) { return ""; }
    var cls = String(v).toLowerCase();
    return '<span class="light ' + esc(cls) + '" title="' + esc(v) + '"></span>';
  }
  var TRACK = {
    achieved: ["✔", "up"], on_track: ["↑", "up"], moderately_improving: ["➚", "up"],
    stagnating: ["→", "same"], decreasing: ["↓", "down"]
  };
  function trackCell(v, arrow) {
    if (v === null || v === undefined) { return ""; }
    var key = v === true ? "on_track" : (v === false ? "decreasing" : String(v));
    var m = TRACK[key] || [arrow || "?", "same"];
    return '<span class="' + m[1] + '" title="' + esc(t("track_" + key)) + '">' + esc(arrow || m[0]) + "</span> " +
      '<span class="note">' + esc(t("track_" + key)) + "</span>";
  }

  function tableColumns() {
    var c = [
      { key: "rank", label: t("rank"), num: true },
      { key: "rank_change", label: t("change"), num: true },
      { key: "city", label: t("city"), name: true },
      { key: "score", label: t("score"), num: true }
    ];
    if (has("score_size_adjusted") && has("rank_size_adjusted")) {
      c.push({ key: "score_size_adjusted", label: t("score_sa"), num: true, hint: t("sa_hint") });
      c.push({ key: "rank_size_adjusted", label: t("rank_sa"), num: true, hint: t("sa_hint") });
    }
    var anyInterval = has("rank_p05") && has("rank_p95") && rows.some(function (r) { return r.rank_p05 !== null; });
    if (anyInterval) { c.push({ key: "interval", label: t("interval"), num: true }); }
    if (has("traffic_light")) { c.push({ key: "traffic_light", label: t("light") }); }
    if (has("on_track")) { c.push({ key: "on_track", label: t("on_track") }); }
    c.push({ key: "coverage", label: t("coverage"), num: true });
    D.actions.forEach(function (a) { c.push({ key: "a:" + a[0], label: aname(a[0]), num: true, action: a[0] }); });
    return c;
  }

  function tableRows() {
    var out = [];
    D.cities.forEach(function (c) {
      var o = byKey[state.period + "|" + c[0] + "|overall"];
      if (!o) { return; }
      var r = { city_code: c[0], city: cname(c[0]), rank: o.rank, rank_change: o.rank_change, score: o.score,
        score_size_adjusted: has("score_size_adjusted") ? o.score_size_adjusted : null,
        rank_size_adjusted: has("rank_size_adjusted") ? o.rank_size_adjusted : null,
        coverage: o.coverage, traffic_light: o.traffic_light, on_track: o.on_track, trend_arrow: o.trend_arrow,
        median_rank: o.median_rank, rank_p05: o.rank_p05, rank_p95: o.rank_p95,
        interval: has("median_rank") ? o.median_rank : o.rank_p05 };
      D.actions.forEach(function (a) {
        var x = byKey[state.period + "|" + c[0] + "|" + a[0]];
        r["a:" + a[0]] = x ? x.score : null;
        r["r:" + a[0]] = x ? x.rank : null;
      });
      out.push(r);
    });
    var k = state.sortKey, dir = state.sortDir;
    out.sort(function (x, y) {
      var a = x[k], b = y[k];
      if (a === b) { return x.rank - y.rank || (x.city_code < y.city_code ? -1 : 1); }
      if (a === null || a === undefined) { return 1; }
      if (b === null || b === undefined) { return -1; }
      return (a < b ? -1 : 1) * dir;
    });
    return out;
  }

  function renderTable() {
    var table = document.getElementById("league");
    var cs = tableColumns();
    table.querySelector("thead").innerHTML = "<tr>" + cs.map(function (c) {
      var cls = (c.name ? "name " : "") + (state.sortKey === c.key ? (state.sortDir > 0 ? "sorted-asc" : "sorted-desc") : "");
      return '<th data-col="' + esc(c.key) + '" class="' + cls + '"' + (c.hint ? ' title="' + esc(c.hint) + '"' : "") + ">" +
        esc(c.label) + "</th>";
    }).join("") + "</tr>";
    table.querySelector("tbody").innerHTML = tableRows().map(function (r) {
      return '<tr data-city="' + esc(r.city_code) + '">' + cs.map(function (c) {
        if (c.key === "rank") { return "<td>" + esc(r.rank) + "</td>"; }
        if (c.key === "rank_change") { return "<td>" + changeCell(r.rank_change) + "</td>"; }
        if (c.key === "city") { return '<td class="name"><a href="#city/' + esc(r.city_code) + '">' + esc(r.city) + "</a></td>"; }
        if (c.key === "interval") {
          return "<td>" + (r.rank_p05 === null || r.rank_p05 === undefined ? "–" : esc(fmt(r.rank_p05, 0)) + "–" + esc(fmt(r.rank_p95, 0))) + "</td>";
        }
        if (c.key === "traffic_light") { return "<td>" + lightCell(r.traffic_light) + "</td>"; }
        if (c.key === "on_track") { return '<td class="name">' + trackCell(r.on_track, r.trend_arrow) + "</td>"; }
        if (c.key === "coverage") { return "<td>" + (r.coverage === null ? "–" : Math.round(r.coverage * 100) + "%") + "</td>"; }
        if (c.key === "score") { return "<td>" + fmt(r.score) + "</td>"; }
        if (c.key === "score_size_adjusted") { return "<td>" + fmt(r.score_size_adjusted) + "</td>"; }
        if (c.key === "rank_size_adjusted") { return "<td>" + (r.rank_size_adjusted === null ? "–" : esc(r.rank_size_adjusted)) + "</td>"; }
        return '<td title="' + t("rank") + " " + esc(r["r:" + c.action]) + '">' + fmt(r[c.key]) + "</td>";
      }).join("") + "</tr>";
    }).join("");
    document.getElementById("table-note").textContent = t("dataset") + " " + D.dataset_id + " · " + t("method_version") + " " + D.method_version;
  }

  function onHeaderClick(ev) {
    var th = ev.target.closest("th");
    if (!th) { return; }
    var key = th.getAttribute("data-col");
    if (state.sortKey === key) { state.sortDir = -state.sortDir; } else {
      state.sortKey = key;
      state.sortDir = (key === "rank" || key === "rank_size_adjusted" || key === "city" || key === "interval") ? 1 : -1;
    }
    renderTable();
  }

  function fillSelect(sel, items, value) {
    sel.innerHTML = items.map(function (it) {
      return '<option value="' + esc(it[0]) + '"' + (it[0] === value ? " selected" : "") + ">" + esc(it[1]) + "</option>";
    }).join("");
  }

  function disposeCharts() { charts.forEach(function (c) { c.dispose(); }); charts = []; }
  function chartOn(el) { var c = window.echarts.init(el); charts.push(c); return c; }

  function renderMap() {
    fillSelect(document.getElementById("map-period"), D.periods.slice().reverse().map(function (p) { return [p, p]; }), state.mapPeriod);
    fillSelect(document.getElementById("map-scope"), [["overall", t("overall")]].concat(D.actions.map(function (a) { return [a[0], aname(a[0])]; })), state.mapScope);
    if (!D.has_map || !window.echarts) {
      var m = document.getElementById("map-missing");
      m.hidden = false; m.textContent = t("no_map");
      return;
    }
    var nameMap = {};
    D.cities.forEach(function (c) { nameMap[c[1]] = lang === "zh" ? c[1] : c[2]; });
    var data = D.cities.map(function (c) {
      var r = byKey[state.mapPeriod + "|" + c[0] + "|" + state.mapScope];
      return { name: nameMap[c[1]], value: r ? r.score : null, code: c[0], rank: r ? r.rank : null };
    });
    var chart = chartOn(document.getElementById("map-chart"));
    chart.setOption({
      animation: false,
      title: { text: aname(state.mapScope) + " · " + state.mapPeriod, left: "center" },
      tooltip: { trigger: "item", formatter: function (p) {
        return esc(p.name) + "<br>" + t("score") + ": " + fmt(p.value) + (p.data ? "<br>" + t("rank") + ": " + esc(p.data.rank) : "");
      } },
      visualMap: { min: 0, max: 100, left: "left", bottom: 20, text: ["100", "0"], calculable: true,
        inRange: { color: ["#f8696b", "#ffeb84", "#63be7b"] } },
      series: [{ type: "map", map: "河南", nameMap: nameMap, roam: false, data: data,
        label: { show: true, fontSize: 10 } }]
    });
    chart.on("click", function (p) { if (p.data && p.data.code) { window.location.hash = "#city/" + p.data.code; } });
  }

  function renderCity(code) {
    var el = document.getElementById("view-city");
    if (!cityName[code]) { el.innerHTML = "<p>?</p>"; return; }
    var p = state.period;
    var o = byKey[p + "|" + code + "|overall"] || {};
    var spec = [];
    var sc = D.specials.columns;
    D.specials.rows.forEach(function (r) {
      if (r[sc.indexOf("city_code")] === code) {
        spec.push({ special: r[sc.indexOf("special_code")], action: r[sc.indexOf("action_code")],
          score: r[sc.indexOf("score")], coverage: r[sc.indexOf("coverage")] });
      }
    });
    spec.sort(function (a, b) { return a.score - b.score || (a.special < b.special ? -1 : 1); });
    var reports = D.reports.filter(function (r) { return r.city_code === code; });
    var html = '<p><a href="#table">← ' + t("back") + "</a></p>" +
      "<h2>" + esc(cname(code)) + " <small>(" + esc(code) + ")</small></h2>" +
      "<p>" + t("period") + " " + esc(p) + " · " + t("rank") + " " + esc(o.rank) + " · " + t("score") + " " + fmt(o.score) +
      " · " + t("coverage_note") + " " + (o.coverage === undefined || o.coverage === null ? "–" : Math.round(o.coverage * 100) + "%") + "</p>" +
      '<div class="grid"><div><h3>' + t("actions") + '</h3><div id="city-actions" class="chart"></div></div>' +
      "<div><h3>" + t("trend") + '</h3><div id="city-trend" class="chart"></div></div></div>' +
      "<h3>" + t("weakest") + " (" + esc(D.specials.period) + ")</h3><table><thead><tr><th class='name'>" + t("special") +
      "</th><th class='name'>" + t("action") + "</th><th>" + t("score") + "</th><th>" + t("coverage") + "</th></tr></thead><tbody>" +
      spec.slice(0, 8).map(function (s) {
        return "<tr><td class='name'>" + esc(sname(s.special)) + "</td><td class='name'>" + esc(aname(s.action)) +
          "</td><td>" + fmt(s.score) + "</td><td>" + (s.coverage === null ? "–" : Math.round(s.coverage * 100) + "%") + "</td></tr>";
      }).join("") + "</tbody></table>" +
      "<h3>" + t("provenance") + "</h3><p><a href=\"periods/" + esc(p) + "/indicator_scores.csv\">" + t("indicator_file") +
      " (" + esc(p) + ", CSV)</a></p>" +
      "<h4>" + t("reports") + " (" + reports.length + ")</h4><table><thead><tr><th class='name'>" + t("period") +
      "</th><th class='name'>" + t("file") + "</th><th class='name'>" + t("sha") + "</th></tr></thead><tbody>" +
      reports.map(function (r) {
        return "<tr><td class='name'>" + esc(r.period) + "</td><td class='name'>" + esc(r.name) + "</td><td class='name'><code>" +
          esc(String(r.sha256 || r.file_id).slice(0, 16)) + "…</code></td></tr>";
      }).join("") + "</tbody></table>" +
      "<h4>" + t("feeds") + "</h4><ul>" + D.feeds.map(function (f) {
        return "<li>" + esc(f.feed_id) + ": " + esc(f.status) + (f.snapshot_id ? " (" + esc(f.snapshot_id) + ")" : "") + "</li>";
      }).join("") + "</ul>";
    el.innerHTML = html;
    if (!window.echarts) { return; }
    var acts = D.actions.map(function (a) { var r = byKey[p + "|" + code + "|" + a[0]]; return [aname(a[0]), r ? r.score : null]; });
    chartOn(document.getElementById("city-actions")).setOption({
      animation: false, grid: { left: 140, right: 20, top: 10, bottom: 30 }, tooltip: {},
      xAxis: { type: "value", min: 0, max: 100 },
      yAxis: { type: "category", data: acts.map(function (a) { return a[0]; }).reverse() },
      series: [{ type: "bar", data: acts.map(function (a) { return a[1]; }).reverse(), itemStyle: { color: "#1f4e79" } }]
    });
    var trend = D.periods.map(function (q) { var r = byKey[q + "|" + code + "|overall"]; return r ? [r.score, r.rank] : [null, null]; });
    chartOn(document.getElementById("city-trend")).setOption({
      animation: false, tooltip: { trigger: "axis" }, legend: { data: [t("score"), t("rank")] },
      grid: { left: 50, right: 50, top: 40, bottom: 40 },
      xAxis: { type: "category", data: D.periods },
      yAxis: [{ type: "value", min: 0, max: 100, name: t("score") },
        { type: "value", inverse: true, min: 1, max: D.cities.length, name: t("rank") }],
      series: [{ name: t("score"), type: "line", data: trend.map(function (x) { return x[0]; }) },
        { name: t("rank"), type: "line", yAxisIndex: 1, data: trend.map(function (x) { return x[1]; }) }]
    });
  }

  function renderDownloads() {
    var el = document.getElementById("view-downloads");
    var size = function (b) { return b > 1048576 ? (b / 1048576).toFixed(1) + " MB" : Math.ceil(b / 1024) + " KB"; };
    el.innerHTML = "<h2>" + t("nav_downloads") + "</h2><p>" + t("dataset") + " <code>" + esc(D.dataset_id) + "</code> · " +
      t("method_version") + " " + esc(D.method_version) + " · " + t("checks") + " " + D.validation.checks + " (" +
      D.validation.failed + " ✗) · " + t("stale") + ": " + (D.stale_feeds.length ? D.stale_feeds.map(function (f) { return esc(f.feed_id); }).join(", ") : "–") +
      "</p><table><thead><tr><th class='name'>" + t("files") + "</th><th>" + t("size") + "</th><th class='name'>" + t("sha") +
      "</th></tr></thead><tbody>" + D.files.map(function (f) {
        return "<tr><td class='name'><a href=\"" + esc(f.path) + "\">" + esc(f.path) + "</a></td><td>" + size(f.bytes) +
          "</td><td class='name'><code>" + esc(f.sha256.slice(0, 16)) + "…</code></td></tr>";
      }).join("") + "</tbody></table><h3>" + t("by_period") + "</h3><ul>" + D.periods.slice().reverse().map(function (q) {
        return "<li>" + esc(q) + ": " + ["league_table.xlsx", "league_table.csv", "league_table.json", "league_table.parquet",
          "special_scores.csv", "indicator_scores.csv", "datapackage.json"].map(function (f) {
          return '<a href="periods/' + esc(q) + "/" + f + '">' + f + "</a>";
        }).join(" · ") + "</li>";
      }).join("") + "</ul>";
  }

  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = t("title");
    document.getElementById("site-title").textContent = t("title");
    document.getElementById("lang-toggle").textContent = t("lang");
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (n) { n.textContent = t(n.getAttribute("data-i18n")); });
    document.getElementById("footer").textContent = t("dataset") + " " + D.dataset_id + " · " + t("method_version") + " " + D.method_version;
  }

  function route() {
    disposeCharts();
    var h = window.location.hash.replace(/^#/, "") || "table";
    var parts = h.split("/");
    var view = parts[0];
    if (["table", "map", "city", "method", "downloads"].indexOf(view) < 0) { view = "table"; }
    Array.prototype.forEach.call(document.querySelectorAll(".view"), function (v) { v.hidden = v.id !== "view-" + view; });
    applyLang();
    if (view === "table") { renderTable(); }
    if (view === "map") { renderMap(); }
    if (view === "city") { renderCity(parts[1]); }
    if (view === "method") { document.getElementById("method-body").innerHTML = D.methodology_html; }
    if (view === "downloads") { renderDownloads(); }
  }

  function init() {
    var ps = document.getElementById("period-select");
    fillSelect(ps, D.periods.slice().reverse().map(function (p) { return [p, p]; }), state.period);
    ps.addEventListener("change", function () { state.period = ps.value; renderTable(); });
    document.getElementById("map-period").addEventListener("change", function (e) { state.mapPeriod = e.target.value; route(); });
    document.getElementById("map-scope").addEventListener("change", function (e) { state.mapScope = e.target.value; route(); });
    document.querySelector("#league thead").addEventListener("click", onHeaderClick);
    document.getElementById("lang-toggle").addEventListener("click", function () {
      lang = lang === "zh" ? "en" : "zh";
      try { window.localStorage.setItem("hnplus-lang", lang); } catch (e) { /* file:// may forbid storage */ }
      route();
    });
    window.addEventListener("hashchange", route);
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    route();
  }
  init();
}());
