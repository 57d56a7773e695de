/* SUR-3 The satisfaction figures' chart (Apache ECharts, vendored under static/vendor/echarts):
   per touchpoint, this year's satisfaction rate against last year's and the group's. The
   figures are the page's own (json_script "figures-chart-data"), and the tables below hold
   the same numbers, so nothing depends on this script. */
(function () {
  "use strict";
  var el = document.getElementById("chart-figures");
  var source = document.getElementById("figures-chart-data");
  if (!el || !source || typeof echarts === "undefined") {
    if (el) { el.classList.add("d-none"); }
    document.body.dataset.chartsReady = "failed";
    return;
  }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el);
  function percent(v) { return v == null ? "—" : v + "%"; }
  chart.setOption({
    color: ["#0b5d55", "#adb5bd", "#e8a700"],
    textStyle: { fontFamily: "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: percent },
    legend: { bottom: 0, itemWidth: 12, itemHeight: 10, textStyle: { fontSize: 11 } },
    grid: { left: 8, right: 12, top: 16, bottom: 40, containLabel: true },
    xAxis: { type: "category", data: data.touchpoints },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [
      { type: "bar", name: data.labels.this_year, data: data.this_year,
        label: { show: true, position: "top", formatter: function (p) { return percent(p.value); } } },
      { type: "bar", name: data.labels.last_year, data: data.last_year },
      { type: "line", name: data.labels.group, data: data.group, symbolSize: 8, lineStyle: { type: "dashed" } },
    ],
  });
  el.dataset.rendered = "1";
  document.body.dataset.chartsReady = "1";
  window.addEventListener("resize", function () { chart.resize(); });
})();
