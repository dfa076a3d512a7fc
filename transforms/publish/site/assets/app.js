/* hnplus league table site: plain JS, no build step, works from file:// (data comes from data.js). */
(function () {
  "use strict";
  var D = window.HNPLUS_DATA;
  var T = {
    zh: {
      title: "河南省“互联网+”行动计划落实情况排名", nav_table: "排名表", nav_map: "地图", nav_compare: "城市对比",
      nav_method: "方法说明", nav_downloads: "数据下载", period: "报告期", scope: "范围", overall: "总体", rank: "名次",
      change: "变化", city: "城市", score: "总分", score_sa: "按人口调整得分", rank_sa: "按人口调整名次",
      interval: "名次区间", light: "信号灯", on_track: "进度", coverage: "覆盖率", evidence: "证据",
      table_hint: "点击列标题排序;点击城市查看详情。表格较宽时可在表格内左右滑动。", new_entry: "新", lang: "English",
      actions: "各行动得分", trend: "总分与名次走势", weakest: "最薄弱的专项", special: "专项", action: "行动",
      provenance: "数据来源", reports: "城市报告", feeds: "开放数据源", file: "文件", sha: "SHA-256",
      indicator_file: "指标得分明细(含来源行号)", files: "文件", size: "大小", by_period: "按报告期",
      dataset: "数据集", method_version: "方法版本", stale: "未更新的数据源", checks: "校验",
      no_map: "地图组件未安装,地图不可用。", back: "返回排名表", coverage_note: "数据覆盖率",
      legend: "图例与各列含义", legend_light: "信号灯(颜色之外另有文字,跟随进度状态)", legend_track: "进度状态",
      legend_evidence: "自报与独立证据", legend_columns: "各列含义",
      milestone_mark: "◆ 节点切换", milestone_note: "◆ 本期(2019Q1)考核节点由 2018 年切换为 2025 年:进度状态改为对照通往 2025 年目标的路径。"
        + "得分全期用同一把尺子(到 2025 年目标的进度),不因切换而跳变。",
      method_change: "方法版本在本期变化", links: "下载与说明", bulletin_zh: "本期通报(中文 PDF)",
      bulletin_en: "Bulletin (English PDF)", workbook: "本期工作簿(Excel,可打印)", data_docs: "数据校验报告(Data Docs)",
      column_docs: "各列说明(datapackage.json)", why: "名次为何变化", why_intro: "与上期 {prev} 相比:名次 {r0} → {r1},总分变化 {d} 分,主要来自:",
      why_rest: "其余指标合计", why_none: "本期没有可比的上一报告期。", why_note: "名次还取决于其他城市的得分;各项贡献相加等于总分变化。",
      why_same: "本期没有指标得分变化;名次变化来自其他城市。",
      compare: "城市对比", compare_hint: "勾选两个或更多城市,与全省中位数对比。", median: "全省中位数",
      target_2025: "2025 年目标(100 分)", progress_ratio: "进展比", on_track_line: "按期推进线 0.95",
      moderate_line: "有所改善线 0.6", compare_table: "本期并列对比", metric: "项目", ind_share: "独立证据占比",
      no_score: "无得分", statuses: ["未启动", "推进中", "基本完成", "已完成"]
    },
    en: {
      title: "Henan Internet+ action plan: city league table", nav_table: "League table", nav_map: "Map",
      nav_compare: "Compare", nav_method: "Methodology", nav_downloads: "Downloads", period: "Period", scope: "Scope",
      overall: "Overall", rank: "Rank", change: "Change", city: "City", score: "Score", score_sa: "Size-adjusted score",
      rank_sa: "Size-adjusted rank", interval: "Rank interval", light: "Light", on_track: "Progress",
      coverage: "Coverage", evidence: "Evidence",
      table_hint: "Click a column header to sort; click a city for its profile. A wide table scrolls inside its box.",
      new_entry: "new", lang: "中文", actions: "Action scores", trend: "Score and rank over time",
      weakest: "Weakest specials", special: "Special", action: "Action", provenance: "Provenance", reports: "City reports",
      feeds: "Open-data feeds", file: "File", sha: "SHA-256", indicator_file: "Indicator scores (with source rows)",
      files: "Files", size: "Size", by_period: "By period", dataset: "Dataset", method_version: "Method version",
      stale: "Stale feeds", checks: "Checks", no_map: "The map component is not installed; no map.",
      back: "Back to the league table", coverage_note: "Data coverage",
      legend: "Legend and what each column means", legend_light: "Traffic light (a word beside every colour; it follows the progress status)",
      legend_track: "Progress status", legend_evidence: "Self-report and independent evidence", legend_columns: "Columns",
      milestone_mark: "◆ milestone change", milestone_note: "◆ In this period (2019Q1) the milestone changes from 2018 to 2025: "
        + "progress is judged against the path to the 2025 targets. Scores stay on one yardstick (progress to 2025), so they do not jump.",
      method_change: "the method version changes in this period", links: "Downloads and notes",
      bulletin_zh: "本期通报 (Chinese PDF)", bulletin_en: "Bulletin of this period (English PDF)",
      workbook: "Workbook of this period (Excel, prints)", data_docs: "Validation report (Data Docs)",
      column_docs: "Column documentation (datapackage.json)", why: "Why the rank changed",
      why_intro: "Against {prev}: rank {r0} → {r1}, overall score {d} points, mostly from:",
      why_rest: "all other indicators", why_none: "There is no earlier period to compare with.",
      why_note: "A rank also depends on the other cities' scores; the contributions add up to the score change.",
      why_same: "No indicator score changed; the rank moved because other cities did.",
      compare: "Compare cities", compare_hint: "Tick two or more cities to compare them with the province median.",
      median: "Province median", target_2025: "2025 target (100 points)", progress_ratio: "Progress ratio",
      on_track_line: "on track 0.95", moderate_line: "moderately improving 0.6", compare_table: "This period side by side",
      metric: "Item", ind_share: "Independent share", no_score: "no score",
      statuses: ["not started", "in progress", "largely done", "completed"]
    }
  };
  // what each table column means, in plain words (the legend under the table)
  var HELP = {
    zh: {
      rank: "全省 18 个城市中的位次,1 为最好。", change: "与上一报告期相比名次的变化:▲ 上升、▼ 下降、– 不变、“新”为首次排名。",
      city: "省辖市(含济源示范区),点击查看该市详情。", score: "0–100 分:各项工作距离 2025 年目标走了多远(100 = 达到目标)。",
      score_sa: "把以人口计量的指标换算为每百万常住人口后的得分,小城市不因规模小吃亏。", rank_sa: "按人口调整得分的名次。",
      interval: "把权重、汇总方法和缺失值处理随机改变 1000 次后名次可能落在的范围(5%–95%);区间重叠的城市名次差别不可靠。",
      light: "跟随进度状态的信号灯,颜色旁边写明含义。", on_track: "按目前的速度能否按期达到当前考核节点的目标(箭头 + 文字)。",
      coverage: "本期实际报送的数据占权重的比例;沿用上期值的不计入。",
      evidence: "自报数据与独立证据(官方完整名单、登记册)是否一致;相差超过 25 分为不一致。",
      actions: "十一大行动各自的 0–100 分,括注为该行动中的名次(鼠标悬停)。"
    },
    en: {
      rank: "Place among the 18 cities, 1 is best.", change: "Change of rank since the previous period: ▲ up, ▼ down, – same, new = first ranked.",
      city: "The city (Jiyuan included); click for its profile.", score: "0–100: how far the work has come on the road to the 2025 targets (100 = target reached).",
      score_sa: "Score with population-sized indicators counted per million residents, so small cities are not penalised.",
      rank_sa: "Rank by the size-adjusted score.",
      interval: "Where the rank may fall when weights, aggregation and missing-value rules are varied 1,000 times (5th–95th percentile); overlapping intervals mean the order is not reliable.",
      light: "A light that follows the progress status, with its meaning written beside the colour.",
      on_track: "Whether, at the current pace, the city meets the current milestone in time (arrow + words).",
      coverage: "Share of the weight reported this period; values carried forward do not count.",
      evidence: "Whether self-reported data and independent evidence (complete official lists, registers) agree; more than 25 points apart = differ.",
      actions: "Each of the eleven actions scored 0–100; hover for the city's rank in that action."
    }
  };
  var lang = "zh";
  try { lang = window.localStorage.getItem("hnplus-lang") || "zh"; } catch (e) { lang = "zh"; }
  if (!T[lang]) { lang = "zh"; }
  var L = lang === "zh" ? 0 : 1;
  function t(k) { return T[lang][k] || k; }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function fmt(v, d) { return v === null || v === undefined ? "–" : Number(v).toFixed(d === undefined ? 1 : d); }
  function pct(v) { return v === null || v === undefined ? "–" : Math.round(v * 100) + "%"; }
  function word(table, code) { var x = (D.labels[table] || {})[code]; return x ? x[L] : (code === null || code === undefined ? "–" : code); }

  function unpack(block) {
    var cs = block.columns;
    return block.rows.map(function (r) { var o = {}; cs.forEach(function (c, i) { o[c] = r[i]; }); return o; });
  }
  var cols = D.league.columns;
  var ci = {};
  cols.forEach(function (c, i) { ci[c] = i; });
  var has = function (c) { return ci[c] !== undefined; };
  var rows = unpack(D.league);
  var cityName = {};
  D.cities.forEach(function (c) { cityName[c[0]] = { zh: c[1], en: c[2] }; });
  var actionName = {};
  D.actions.forEach(function (a) { actionName[a[0]] = { zh: a[1], en: a[2] }; });
  function cname(code) { return cityName[code] ? cityName[code][lang] : code; }
  function aname(code) { return code === "overall" ? t("overall") : (actionName[code] ? actionName[code][lang] : code); }
  function sname(code) { var s = D.special_names[code]; return s ? (lang === "zh" ? s[0] : s[1]) : code; }
  var byKey = {};
  rows.forEach(function (r) { byKey[r.period + "|" + r.city_code + "|" + r.scope] = r; });
  var specials = unpack(D.specials);
  var why = unpack(D.why);
  var whyTotal = {};
  (D.why.totals || []).forEach(function (r) { whyTotal[r[0] + "|" + r[1]] = { prev: r[2], change: r[3] }; });

  // periods where the milestone or the method changes: marked in the selector, the notes and the charts
  var milestonePeriods = D.periods.filter(function (p) {
    return rows.some(function (r) { return r.period === p && r.is_milestone_change === true; });
  });
  var methodOf = {};
  rows.forEach(function (r) { if (r.scope === "overall") { methodOf[r.period] = r.method_version; } });
  var methodPeriods = D.periods.filter(function (p, i) { return i > 0 && methodOf[p] !== methodOf[D.periods[i - 1]]; });

  var state = { period: D.latest_period, sortKey: "rank", sortDir: 1, mapPeriod: D.latest_period, mapScope: "overall",
    compare: D.cities.slice(0, 2).map(function (c) { return c[0]; }), compareScope: "overall" };
  var charts = [];

  function changeCell(v) {
    if (v === null || v === undefined) { return '<span class="same">' + t("new_entry") + "</span>"; }
    if (v > 0) { return '<span class="up">▲' + v + "</span>"; }
    if (v < 0) { return '<span class="down">▼' + (-v) + "</span>"; }
    return '<span class="same">–</span>';
  }
  function lightCell(v, reason) {
    var code = v === null || v === undefined ? "grey" : String(v).toLowerCase();
    var lab = D.labels.light[code] || [code, code, "?"];
    var why = reason ? word("no_score_reason", reason) : word("light_rule", code);
    return '<span class="light-cell" title="' + esc(why) + '"><span class="light ' + esc(code) + '" aria-hidden="true"></span>' +
      '<span class="light-word">' + esc(lab[L]) + "</span></span>";
  }
  var TRACK = { achieved: "up", on_track: "up", moderately_improving: "up", stagnating: "same", no_new_data: "same", decreasing: "down" };
  function trackCell(v, arrow) {
    if (v === null || v === undefined) { return "–"; }
    var m = D.labels.on_track[v];
    return '<span class="' + (TRACK[v] || "same") + '" title="' + esc(m ? m[2 + L] : v) + '">' + esc(arrow || "") + " " +
      esc(m ? m[L] : v) + "</span>";
  }
  function evidenceCell(r) {
    var v = r.evidence_agreement;
    if (v === null || v === undefined) { return "–"; }
    var sym = v === "agree" ? "✔ " : (v === "differ" ? "⚠ " : "");
    var tip = word("evidence_meaning", v) + " (" + fmt(r.self_report_score) + " / " + fmt(r.independent_score) + ")";
    return '<span title="' + esc(tip) + '">' + esc(sym + word("evidence", v)) + "</span>";
  }

  function tableColumns() {
    var c = [
      { key: "rank", label: t("rank"), num: true, help: "rank" },
      { key: "rank_change", label: t("change"), num: true, help: "change" },
      { key: "city", label: t("city"), name: true, help: "city" },
      { key: "score", label: t("score"), num: true, help: "score" }
    ];
    if (has("score_size_adjusted") && has("rank_size_adjusted")) {
      c.push({ key: "score_size_adjusted", label: t("score_sa"), num: true, help: "score_sa" });
      c.push({ key: "rank_size_adjusted", label: t("rank_sa"), num: true, help: "rank_sa" });
    }
    var anyInterval = has("rank_p05") && has("rank_p95") && rows.some(function (r) { return r.rank_p05 !== null; });
    if (anyInterval) { c.push({ key: "interval", label: t("interval"), num: true, help: "interval" }); }
    if (has("traffic_light")) { c.push({ key: "traffic_light", label: t("light"), name: true, help: "light" }); }
    if (has("on_track")) { c.push({ key: "on_track", label: t("on_track"), name: true, help: "on_track" }); }
    c.push({ key: "coverage", label: t("coverage"), num: true, help: "coverage" });
    if (has("evidence_agreement")) { c.push({ key: "evidence_agreement", label: t("evidence"), name: true, help: "evidence" }); }
    D.actions.forEach(function (a) { c.push({ key: "a:" + a[0], label: aname(a[0]), num: true, action: a[0], help: "actions" }); });
    return c;
  }

  function tableRows() {
    var out = [];
    D.cities.forEach(function (c) {
      var o = byKey[state.period + "|" + c[0] + "|overall"];
      if (!o) { return; }
      var r = {};
      Object.keys(o).forEach(function (k) { r[k] = o[k]; });
      r.city = cname(c[0]);
      r.interval = has("median_rank") ? o.median_rank : o.rank_p05;
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

  function bodyCell(c, r) {
    if (c.key === "rank") { return "<td>" + esc(r.rank === null ? "–" : r.rank) + "</td>"; }
    if (c.key === "rank_change") { return "<td>" + changeCell(r.rank_change) + "</td>"; }
    if (c.key === "city") { return '<td class="name"><a href="#city/' + esc(r.city_code) + '">' + esc(r.city) + "</a></td>"; }
    if (c.key === "interval") {
      return "<td>" + (r.rank_p05 === null || r.rank_p05 === undefined ? "–" : esc(fmt(r.rank_p05, 0)) + "–" + esc(fmt(r.rank_p95, 0))) + "</td>";
    }
    if (c.key === "traffic_light") { return '<td class="name">' + lightCell(r.traffic_light, r.no_score_reason) + "</td>"; }
    if (c.key === "on_track") { return '<td class="name">' + trackCell(r.on_track, r.trend_arrow) + "</td>"; }
    if (c.key === "evidence_agreement") { return '<td class="name">' + evidenceCell(r) + "</td>"; }
    if (c.key === "coverage") { return "<td>" + pct(r.coverage) + "</td>"; }
    if (c.key === "score" || c.key === "score_size_adjusted") { return "<td>" + fmt(r[c.key]) + "</td>"; }
    if (c.key === "rank_size_adjusted") { return "<td>" + (r.rank_size_adjusted === null ? "–" : esc(r.rank_size_adjusted)) + "</td>"; }
    return '<td title="' + t("rank") + " " + esc(r["r:" + c.action]) + '">' + fmt(r[c.key]) + "</td>";
  }

  function renderTable() {
    var table = document.getElementById("league");
    var cs = tableColumns();
    table.querySelector("thead").innerHTML = "<tr>" + cs.map(function (c) {
      var cls = (c.name ? "name " : "") + (state.sortKey === c.key ? (state.sortDir > 0 ? "sorted-asc" : "sorted-desc") : "");
      return '<th data-col="' + esc(c.key) + '" class="' + cls + '" title="' + esc(HELP[lang][c.help] || "") + '">' + esc(c.label) + "</th>";
    }).join("") + "</tr>";
    table.querySelector("tbody").innerHTML = tableRows().map(function (r) {
      return '<tr data-city="' + esc(r.city_code) + '">' + cs.map(function (c) { return bodyCell(c, r); }).join("") + "</tr>";
    }).join("");
    document.getElementById("table-note").textContent = t("dataset") + " " + D.dataset_id + " · " + t("method_version") + " " + D.method_version;
    renderPeriodNote(document.getElementById("period-note"), state.period);
    renderLinks(document.getElementById("links"), state.period);
    renderLegend(cs);
  }

  function renderPeriodNote(el, p) {
    var notes = [];
    if (milestonePeriods.indexOf(p) >= 0) { notes.push(t("milestone_note")); }
    if (methodPeriods.indexOf(p) >= 0) { notes.push("◆ " + t("method_change") + ": " + methodOf[p]); }
    el.hidden = !notes.length;
    el.innerHTML = notes.map(esc).join("<br>");
  }

  function renderLinks(el, p) {
    var items = [];
    if (D.bulletins.indexOf(p) >= 0) {
      items.push('<a class="bulletin" href="periods/' + esc(p) + '/bulletin_zh.pdf">' + esc(t("bulletin_zh")) + " " + esc(p) + "</a>");
      items.push('<a class="bulletin" href="periods/' + esc(p) + '/bulletin_en.pdf">' + esc(t("bulletin_en")) + "</a>");
    }
    items.push('<a class="workbook" href="periods/' + esc(p) + '/league_table.xlsx">' + esc(t("workbook")) + "</a>");
    if (D.has_data_docs) { items.push('<a class="data-docs" href="data_docs/index.html">' + esc(t("data_docs")) + "</a>"); }
    items.push('<a href="datapackage.json">' + esc(t("column_docs")) + "</a>");
    el.innerHTML = "<strong>" + esc(t("links")) + ":</strong> " + items.join(" · ");
  }

  function renderLegend(cs) {
    var lights = D.labels.order.light.map(function (k) {
      return "<li>" + lightCell(k) + " — " + esc(word("light_rule", k)) + "</li>";
    }).join("");
    var tracks = D.labels.order.on_track.map(function (k) {
      var m = D.labels.on_track[k];
      return "<li><strong>" + esc(m[L]) + "</strong> — " + esc(m[2 + L]) + "</li>";
    }).join("");
    var ev = D.labels.order.evidence.map(function (k) {
      return "<li><strong>" + esc(word("evidence", k)) + "</strong> — " + esc(word("evidence_meaning", k)) + "</li>";
    }).join("");
    var seen = {};
    var colHelp = cs.filter(function (c) { if (seen[c.help]) { return false; } seen[c.help] = true; return true; }).map(function (c) {
      return "<dt>" + esc(c.help === "actions" ? t("actions") : c.label) + "</dt><dd>" + esc(HELP[lang][c.help] || "") + "</dd>";
    }).join("");
    document.getElementById("legend").innerHTML = "<h3>" + esc(t("legend")) + '</h3><div class="legend-grid">' +
      "<div><h4>" + esc(t("legend_light")) + '</h4><ul class="plain">' + lights + "</ul></div>" +
      "<div><h4>" + esc(t("legend_track")) + '</h4><ul class="plain">' + tracks + "</ul></div>" +
      "<div><h4>" + esc(t("legend_evidence")) + '</h4><ul class="plain">' + ev + "</ul></div></div>" +
      "<h4>" + esc(t("legend_columns")) + '</h4><dl class="columns">' + colHelp + "</dl>";
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

  function periodItems() {
    return D.periods.slice().reverse().map(function (p) {
      return [p, p + (milestonePeriods.indexOf(p) >= 0 ? " " + t("milestone_mark") : "")];
    });
  }
  function fillSelect(sel, items, value) {
    sel.innerHTML = items.map(function (it) {
      return '<option value="' + esc(it[0]) + '"' + (it[0] === value ? " selected" : "") + ">" + esc(it[1]) + "</option>";
    }).join("");
  }

  function disposeCharts() { charts.forEach(function (c) { c.dispose(); }); charts = []; }
  function chartOn(el) { var c = window.echarts.init(el); charts.push(c); return c; }
  function markPeriods() {
    var m = milestonePeriods.map(function (p) { return { xAxis: p, label: { formatter: t("milestone_mark") + " " + p } }; });
    methodPeriods.forEach(function (p) { m.push({ xAxis: p, label: { formatter: t("method_version") + " " + methodOf[p] } }); });
    return { symbol: "none", silent: true, lineStyle: { type: "dashed", color: "#7b1fa2" }, data: m };
  }

  function targetAndPeriods() {
    var m = markPeriods();
    m.data = [{ yAxis: 100, label: { formatter: t("target_2025"), position: "insideEndTop" }, lineStyle: { color: "#2e7d32" } }]
      .concat(m.data);
    return m;
  }

  function renderMap() {
    fillSelect(document.getElementById("map-period"), periodItems(), state.mapPeriod);
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

  function valueWord(code, v) {
    if (String(code).indexOf("ms_") === 0 && v !== null && v !== undefined && v >= 0 && v <= 3) { return t("statuses")[Math.round(v)]; }
    return fmt(v, 2);
  }
  function whyHtml(code, p) {
    var tot = whyTotal[p + "|" + code];
    var now = byKey[p + "|" + code + "|overall"] || {};
    if (!tot || !tot.prev) { return "<p>" + esc(t("why_none")) + "</p>"; }
    var before = byKey[tot.prev + "|" + code + "|overall"] || {};
    var mine = why.filter(function (w) { return w.period === p && w.city_code === code; });
    var shown = 0;
    var items = mine.map(function (w) {
      shown += w.score_change;
      var name = D.why.names[w.indicator_code] ? D.why.names[w.indicator_code][L] : w.indicator_code;
      return "<li><strong>" + (w.score_change > 0 ? "+" : "") + fmt(w.score_change, 2) + "</strong> " + esc(name) + " — " +
        esc(word("cause", w.cause)) + " (" + esc(valueWord(w.indicator_code, w.previous_value)) + " → " +
        esc(valueWord(w.indicator_code, w.value)) + ")</li>";
    });
    var rest = tot.change - shown;
    if (items.length && Math.abs(rest) >= 0.005) { items.push("<li>" + (rest > 0 ? "+" : "") + fmt(rest, 2) + " " + esc(t("why_rest")) + "</li>"); }
    var intro = t("why_intro").replace("{prev}", tot.prev).replace("{r0}", before.rank === undefined ? "–" : before.rank)
      .replace("{r1}", now.rank === undefined ? "–" : now.rank).replace("{d}", (tot.change > 0 ? "+" : "") + fmt(tot.change, 2));
    return "<p>" + esc(intro) + " " + changeCell(now.rank_change) + "</p>" +
      (items.length ? "<ul>" + items.join("") + "</ul>" : "<p>" + esc(t("why_same")) + "</p>") +
      '<p class="note">' + esc(t("why_note")) + "</p>";
  }

  function specialsHtml(code, p) {
    var spec = specials.filter(function (s) { return s.period === p && s.city_code === code && s.score !== null; });
    spec.sort(function (a, b) { return a.score - b.score || (a.special_code < b.special_code ? -1 : 1); });
    return "<h3 id='weakest-title'>" + t("weakest") + " (" + esc(p) + ")</h3><div class='table-wrap'><table id='weakest'><thead><tr><th class='name'>" + t("special") +
      "</th><th class='name'>" + t("action") + "</th><th>" + t("score") + "</th><th>" + t("coverage") + "</th></tr></thead><tbody>" +
      spec.slice(0, 8).map(function (s) {
        return "<tr><td class='name'>" + esc(sname(s.special_code)) + "</td><td class='name'>" + esc(aname(s.action_code)) +
          "</td><td>" + fmt(s.score) + "</td><td>" + pct(s.coverage) + "</td></tr>";
      }).join("") + "</tbody></table></div>";
  }

  function provenanceHtml(code, p) {
    var reports = D.reports.filter(function (r) { return r.city_code === code; });
    return "<h3>" + t("provenance") + "</h3><p><a href=\"periods/" + esc(p) + "/indicator_scores.csv\">" + t("indicator_file") +
      " (" + esc(p) + ", CSV)</a></p>" +
      "<h4>" + t("reports") + " (" + reports.length + ")</h4><div class='table-wrap'><table><thead><tr><th class='name'>" + t("period") +
      "</th><th class='name'>" + t("file") + "</th><th class='name'>" + t("sha") + "</th></tr></thead><tbody>" +
      reports.map(function (r) {
        return "<tr><td class='name'>" + esc(r.period) + "</td><td class='name'>" + esc(r.name) + "</td><td class='name'><code>" +
          esc(String(r.sha256 || r.file_id).slice(0, 16)) + "…</code></td></tr>";
      }).join("") + "</tbody></table></div>" +
      "<h4>" + t("feeds") + "</h4><ul>" + D.feeds.map(function (f) {
        return "<li>" + esc(f.feed_id) + ": " + esc(f.status) + (f.snapshot_id ? " (" + esc(f.snapshot_id) + ")" : "") + "</li>";
      }).join("") + "</ul>";
  }

  function renderCity(code, period) {
    var el = document.getElementById("view-city");
    if (!cityName[code]) { el.innerHTML = "<p>?</p>"; return; }
    if (period && D.periods.indexOf(period) >= 0) { state.period = period; }
    var p = state.period;
    var o = byKey[p + "|" + code + "|overall"] || {};
    el.innerHTML = '<p><a href="#table">← ' + t("back") + "</a></p>" +
      "<h2>" + esc(cname(code)) + " <small>(" + esc(code) + ")</small></h2>" +
      '<div class="controls"><label><span>' + t("period") + '</span> <select id="city-period"></select></label></div>' +
      '<p id="city-period-note" class="milestone" hidden></p>' +
      '<p id="city-summary">' + t("period") + " " + esc(p) + " · " + t("rank") + " " + esc(o.rank === null ? "–" : o.rank) + " · " +
      t("score") + " " + fmt(o.score) + " · " + lightCell(o.traffic_light, o.no_score_reason) + " · " + trackCell(o.on_track, o.trend_arrow) +
      " · " + t("coverage_note") + " " + pct(o.coverage) + " · " + t("evidence") + " " + evidenceCell(o) + "</p>" +
      '<p id="city-links" class="links"></p>' +
      '<h3 id="why-title">' + t("why") + '</h3><div id="why">' + whyHtml(code, p) + "</div>" +
      '<div class="grid"><div><h3>' + t("actions") + " (" + esc(p) + ')</h3><div id="city-actions" class="chart"></div></div>' +
      "<div><h3>" + t("trend") + '</h3><div id="city-trend" class="chart"></div></div></div>' +
      specialsHtml(code, p) + provenanceHtml(code, p) +
      '<p><a href="#compare/' + esc(code) + '">' + esc(t("compare")) + " →</a></p>";
    var sel = document.getElementById("city-period");
    fillSelect(sel, periodItems(), p);
    sel.addEventListener("change", function () { window.location.hash = "#city/" + code + "/" + sel.value; });
    renderPeriodNote(document.getElementById("city-period-note"), p);
    renderLinks(document.getElementById("city-links"), p);
    if (window.echarts) { cityCharts(code, p); }
  }

  function cityCharts(code, p) {
    var acts = D.actions.map(function (a) { var r = byKey[p + "|" + code + "|" + a[0]]; return [aname(a[0]), r ? r.score : null]; });
    chartOn(document.getElementById("city-actions")).setOption({
      animation: false, grid: { left: 110, right: 20, top: 10, bottom: 30 }, tooltip: {},
      xAxis: { type: "value", min: 0, max: 100 },
      yAxis: { type: "category", data: acts.map(function (a) { return a[0]; }).reverse() },
      series: [{ type: "bar", data: acts.map(function (a) { return a[1]; }).reverse(), itemStyle: { color: "#1f4e79" } }]
    });
    var trend = D.periods.map(function (q) { var r = byKey[q + "|" + code + "|overall"]; return r ? [r.score, r.rank] : [null, null]; });
    chartOn(document.getElementById("city-trend")).setOption({
      animation: false, tooltip: { trigger: "axis" }, legend: { data: [t("score"), t("rank"), t("median")] },
      grid: { left: 45, right: 45, top: 40, bottom: 40 },
      xAxis: { type: "category", data: D.periods },
      yAxis: [{ type: "value", min: 0, max: 100, name: t("score") },
        { type: "value", inverse: true, min: 1, max: D.cities.length, name: t("rank") }],
      series: [{ name: t("score"), type: "line", data: trend.map(function (x) { return x[0]; }), markLine: targetAndPeriods() },
        { name: t("rank"), type: "line", yAxisIndex: 1, data: trend.map(function (x) { return x[1]; }) },
        { name: t("median"), type: "line", lineStyle: { type: "dashed" }, data: medianSeries("overall", "score") }]
    });
  }

  function median(xs) {
    var v = xs.filter(function (x) { return x !== null && x !== undefined; }).sort(function (a, b) { return a - b; });
    if (!v.length) { return null; }
    var m = Math.floor(v.length / 2);
    return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  }
  function medianSeries(scope, field) {
    return D.periods.map(function (q) {
      return median(D.cities.map(function (c) { var r = byKey[q + "|" + c[0] + "|" + scope]; return r ? r[field] : null; }));
    });
  }

  function renderCompare(codes) {
    if (codes) {
      var picked = codes.split(",").filter(function (c) { return cityName[c]; });
      if (picked.length) { state.compare = picked; }
    }
    var el = document.getElementById("view-compare");
    var scopeItems = [["overall", t("overall")]].concat(D.actions.map(function (a) { return [a[0], aname(a[0])]; }));
    el.innerHTML = "<h2>" + esc(t("compare")) + '</h2><p class="note">' + esc(t("compare_hint")) + "</p>" +
      '<div class="controls"><label><span>' + t("scope") + '</span> <select id="compare-scope"></select></label> ' +
      '<label><span>' + t("period") + '</span> <select id="compare-period"></select></label></div>' +
      '<div id="compare-cities" class="checks">' + D.cities.map(function (c) {
        return '<label class="check"><input type="checkbox" value="' + esc(c[0]) + '"' + (state.compare.indexOf(c[0]) >= 0 ? " checked" : "") +
          "> " + esc(cname(c[0])) + "</label>";
      }).join("") + "</div>" +
      '<div class="grid"><div><h3>' + esc(t("score")) + '</h3><div id="compare-score" class="chart"></div></div>' +
      "<div><h3>" + esc(t("progress_ratio")) + '</h3><div id="compare-progress" class="chart"></div></div></div>' +
      "<h3>" + esc(t("compare_table")) + " (" + esc(state.period) + ')</h3><div class="table-wrap"><table id="compare-table"></table></div>';
    fillSelect(document.getElementById("compare-scope"), scopeItems, state.compareScope);
    fillSelect(document.getElementById("compare-period"), periodItems(), state.period);
    document.getElementById("compare-scope").addEventListener("change", function (e) { state.compareScope = e.target.value; route(); });
    document.getElementById("compare-period").addEventListener("change", function (e) { state.period = e.target.value; route(); });
    document.getElementById("compare-cities").addEventListener("change", function () {
      state.compare = Array.prototype.map.call(el.querySelectorAll("#compare-cities input:checked"), function (i) { return i.value; });
      window.location.hash = "#compare/" + state.compare.join(",");
    });
    compareTable();
    if (window.echarts) { compareCharts(); }
  }

  function compareTable() {
    var s = state.compareScope, p = state.period;
    var rowsOf = state.compare.map(function (c) { return byKey[p + "|" + c + "|" + s] || {}; });
    var med = function (f) { return median(D.cities.map(function (c) { var r = byKey[p + "|" + c[0] + "|" + s]; return r ? r[f] : null; })); };
    var lines = [
      [t("rank"), function (r) { return esc(r.rank === null || r.rank === undefined ? "–" : r.rank); }, "–"],
      [t("score"), function (r) { return fmt(r.score); }, fmt(med("score"))],
      [t("light"), function (r) { return lightCell(r.traffic_light, r.no_score_reason); }, "–"],
      [t("on_track"), function (r) { return trackCell(r.on_track, r.trend_arrow); }, "–"],
      [t("progress_ratio"), function (r) { return fmt(r.progress_ratio, 2); }, fmt(med("progress_ratio"), 2)],
      [t("coverage"), function (r) { return pct(r.coverage); }, pct(med("coverage"))],
      [t("ind_share"), function (r) { return pct(r.independent_share); }, pct(med("independent_share"))],
      [t("evidence"), function (r) { return evidenceCell(r); }, "–"]
    ];
    if (s === "overall") {
      D.actions.forEach(function (a) {
        lines.push([aname(a[0]), function (r) { var x = byKey[p + "|" + r.city_code + "|" + a[0]]; return fmt(x ? x.score : null); },
          fmt(median(D.cities.map(function (c) { var x = byKey[p + "|" + c[0] + "|" + a[0]]; return x ? x.score : null; })))]);
      });
    }
    document.getElementById("compare-table").innerHTML = "<thead><tr><th class='name'>" + esc(t("metric")) + "</th>" +
      state.compare.map(function (c) { return "<th class='name'>" + esc(cname(c)) + "</th>"; }).join("") +
      "<th class='name'>" + esc(t("median")) + "</th></tr></thead><tbody>" + lines.map(function (l) {
        return "<tr><td class='name'>" + esc(l[0]) + "</td>" + rowsOf.map(function (r) { return "<td class='name'>" + l[1](r) + "</td>"; }).join("") +
          "<td class='name'>" + l[2] + "</td></tr>";
      }).join("") + "</tbody>";
  }

  function compareCharts() {
    var s = state.compareScope;
    var series = function (field) {
      return state.compare.map(function (c) {
        return { name: cname(c), type: "line", data: D.periods.map(function (q) { var r = byKey[q + "|" + c + "|" + s]; return r ? r[field] : null; }) };
      }).concat([{ name: t("median"), type: "line", lineStyle: { type: "dashed", width: 3 }, itemStyle: { color: "#555" },
        data: medianSeries(s, field) }]);
    };
    var score = series("score");
    score[0].markLine = targetAndPeriods();
    var base = { animation: false, tooltip: { trigger: "axis" }, grid: { left: 45, right: 20, top: 60, bottom: 40 },
      xAxis: { type: "category", data: D.periods } };
    chartOn(document.getElementById("compare-score")).setOption(Object.assign({}, base, {
      legend: { type: "scroll", top: 0 }, yAxis: { type: "value", min: 0, max: 100 }, series: score }));
    var prog = series("progress_ratio");
    prog[0].markLine = { symbol: "none", silent: true, lineStyle: { type: "dashed" }, data: [
      { yAxis: 0.95, label: { formatter: t("on_track_line"), position: "insideEndTop" }, lineStyle: { color: "#2e7d32" } },
      { yAxis: 0.6, label: { formatter: t("moderate_line"), position: "insideEndBottom" }, lineStyle: { color: "#ef6c00" } }].concat(markPeriods().data) };
    chartOn(document.getElementById("compare-progress")).setOption(Object.assign({}, base, {
      legend: { type: "scroll", top: 0 }, yAxis: { type: "value", min: 0 }, series: prog }));
  }

  function renderDownloads() {
    var el = document.getElementById("view-downloads");
    var size = function (b) { return b > 1048576 ? (b / 1048576).toFixed(1) + " MB" : Math.ceil(b / 1024) + " KB"; };
    el.innerHTML = "<h2>" + t("nav_downloads") + "</h2><p>" + t("dataset") + " <code>" + esc(D.dataset_id) + "</code> · " +
      t("method_version") + " " + esc(D.method_version) + " · " + t("checks") + " " + D.validation.checks + " (" +
      D.validation.failed + " ✗) · " + t("stale") + ": " + (D.stale_feeds.length ? D.stale_feeds.map(function (f) { return esc(f.feed_id); }).join(", ") : "–") +
      '</p><p id="downloads-links" class="links"></p><div class="table-wrap"><table><thead><tr><th class=\'name\'>' + t("files") + "</th><th>" + t("size") + "</th><th class='name'>" + t("sha") +
      "</th></tr></thead><tbody>" + D.files.map(function (f) {
        return "<tr><td class='name'><a href=\"" + esc(f.path) + "\">" + esc(f.path) + "</a></td><td>" + size(f.bytes) +
          "</td><td class='name'><code>" + esc(f.sha256.slice(0, 16)) + "…</code></td></tr>";
      }).join("") + "</tbody></table></div><h3>" + t("by_period") + "</h3><ul>" + D.periods.slice().reverse().map(function (q) {
        var files = ["league_table.xlsx", "league_table.csv", "league_table.json", "league_table.parquet", "special_scores.csv",
          "indicator_scores.csv", "score_changes.csv", "datapackage.json"];
        if (D.bulletins.indexOf(q) >= 0) { files = ["bulletin_zh.pdf", "bulletin_en.pdf"].concat(files); }
        return "<li>" + esc(q) + ": " + files.map(function (f) { return '<a href="periods/' + esc(q) + "/" + f + '">' + f + "</a>"; }).join(" · ") + "</li>";
      }).join("") + "</ul>";
    renderLinks(document.getElementById("downloads-links"), state.period);
  }

  function applyLang() {
    L = lang === "zh" ? 0 : 1;
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
    if (["table", "map", "city", "compare", "method", "downloads"].indexOf(view) < 0) { view = "table"; }
    Array.prototype.forEach.call(document.querySelectorAll(".view"), function (v) { v.hidden = v.id !== "view-" + view; });
    applyLang();
    if (view === "table") {
      fillSelect(document.getElementById("period-select"), periodItems(), state.period);
      renderTable();
    }
    if (view === "map") { renderMap(); }
    if (view === "city") { renderCity(parts[1], parts[2]); }
    if (view === "compare") { renderCompare(parts[1]); }
    if (view === "method") { document.getElementById("method-body").innerHTML = D.methodology_html; }
    if (view === "downloads") { renderDownloads(); }
  }

  function init() {
    var ps = document.getElementById("period-select");
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
