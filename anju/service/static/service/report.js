/* SVC-6 The monthly complaint report's charts (Apache ECharts, vendored under
   static/vendor/echarts). The figures come from the page's JSON endpoint (data-url); every
   chart sits beside the table with the same figures, so nothing depends on this script.
   data-print="1" (the printable version): SVG, no animation, so the page prints as drawn. */
(function () {
  "use strict";
  var script = document.currentScript;
  var printing = script.dataset.print === "1";
  var charts = [];
  var CLASS_COLOURS = ["#0b5d55", "#2f9e44", "#e8a700", "#f76707", "#adb5bd"];
  var HANDLING_COLOURS = ["#2f9e44", "#0b5d55", "#f76707", "#d6336c"];
  var SATISFACTION_COLOURS = ["#2f9e44", "#8ce99a", "#ffd43b", "#e03131"];

  function draw(key, option) {
    var el = document.getElementById("chart-" + key);
    if (!el || typeof echarts === "undefined") {
      return;
    }
    var chart = echarts.init(el, null, { renderer: printing ? "svg" : "canvas" });
    option.animation = !printing;
    option.textStyle = { fontFamily: "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" };
    chart.setOption(option);
    el.dataset.rendered = "1";
    charts.push(chart);
  }

  function empty(text) {
    return {
      text: text,
      left: "center",
      top: "middle",
      textStyle: { color: "#868e96", fontSize: 13, fontWeight: "normal" },
    };
  }

  function total(lines) {
    return lines.reduce(function (sum, line) { return sum + line.count; }, 0);
  }

  function pie(key, lines, colours, nothing) {
    var none = total(lines) === 0;
    draw(key, {
      color: colours,
      title: none ? empty(nothing) : undefined,
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0, itemWidth: 12, itemHeight: 10, itemGap: 8, textStyle: { fontSize: 11 } },
      series: [{
        type: "pie",
        radius: ["34%", "68%"],
        center: ["50%", "42%"],
        label: { position: "inside", formatter: "{c}", color: "#fff", fontWeight: "bold" },
        labelLine: { show: false },
        data: none ? [] : lines.filter(function (l) { return l.count > 0; })
          .map(function (l) { return { name: l.label, value: l.count }; }),
      }],
    });
  }

  function render(data) {
    var nothing = data.labels.nothing;
    pie("class", data.by_class, CLASS_COLOURS, nothing);
    draw("category", {
      color: ["#0b5d55"],
      title: total(data.by_category) === 0 ? empty(nothing) : undefined,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 10, bottom: 10, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category",
        inverse: true,
        data: data.by_category.map(function (l) { return l.label; }),
      },
      series: [{
        type: "bar",
        name: data.labels.complaints,
        label: { show: true, position: "right" },
        data: data.by_category.map(function (l) { return l.count; }),
      }],
    });
    pie("handling", data.by_handling, HANDLING_COLOURS, nothing);
    pie("satisfaction", data.by_satisfaction, SATISFACTION_COLOURS, nothing);

    var t = data.trend;
    var series = t.by_class.map(function (c) {
      return { type: "bar", stack: "received", name: c.label, data: c.counts };
    });
    series.push({
      type: "line",
      name: data.labels.closed,
      data: t.closed,
      symbolSize: 6,
      lineStyle: { width: 2 },
      itemStyle: { color: "#495057" },
    });
    draw("trend", {
      color: CLASS_COLOURS,
      title: { text: data.labels.received + " / " + data.labels.closed, textStyle: { fontSize: 12 } },
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, itemWidth: 12, itemHeight: 10, itemGap: 8, textStyle: { fontSize: 11 } },
      grid: { left: 8, right: 12, top: 36, bottom: 48, containLabel: true },
      xAxis: { type: "category", data: t.months },
      yAxis: { type: "value", minInterval: 1 },
      series: series,
    });
    draw("trend-rates", {
      color: ["#2f9e44", "#0b5d55"],
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
      legend: { bottom: 0, itemWidth: 12, itemHeight: 10, textStyle: { fontSize: 11 } },
      grid: { left: 8, right: 12, top: 36, bottom: 48, containLabel: true },
      xAxis: { type: "category", data: t.months },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { type: "line", name: data.labels.satisfaction_rate, data: t.satisfaction_rate, connectNulls: false, symbolSize: 6 },
        { type: "line", name: data.labels.in_time_rate, data: t.in_time_rate, connectNulls: false, symbolSize: 6 },
      ],
    });
    document.body.dataset.chartsReady = "1";
  }

  function failed() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      el.classList.add("d-none");
    });
    document.body.dataset.chartsReady = "failed";
  }

  fetch(script.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    })
    .then(render)
    .catch(failed);

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
